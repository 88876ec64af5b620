using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Hephaestus.Storage;

/// <summary>
/// The embedded default: objects as files under one root (beside the embedded data directory unless configured).
/// A body is written to `incoming/`, flushed to disk, checked, and only then renamed to its address, so a reader never
/// sees a partial or unchecked object and a crash leaves at most a stray file in `incoming/`.
/// </summary>
public sealed partial class FileSystemObjectStore : IObjectStore, INamedObjects
{
    const string Incoming = "incoming";
    readonly string _root;

    public FileSystemObjectStore(string root)
    {
        _root = Path.GetFullPath(root);
        Directory.CreateDirectory(Path.Combine(_root, Incoming));
    }

    public string Root => _root;

    public async Task<StoredObject> PutAsync(Stream body, ObjectExpectation expectation, CancellationToken ct)
    {
        var temporary = Path.Combine(_root, Incoming, $"{Guid.NewGuid():N}.part");
        try
        {
            StoredObject stored;
            await using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous))
            {
                stored = await ObjectAddress.CopyHashingAsync(body, file, expectation, ct);
                // Durable before it has an address: the database row that follows must never point at lost bytes.
                file.Flush(flushToDisk: true);
            }

            var final = PathOf(stored.Sha256);
            var directory = Path.GetDirectoryName(final)!;
            Directory.CreateDirectory(directory);
            if (File.Exists(final))
            {
                // Same address, same bytes (SHA-256): the body is already here; keep the older file.
                File.Delete(temporary);
                return stored;
            }

            File.Move(temporary, final, overwrite: true);
            SyncDirectory(directory);
            return stored;
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    public Task<ObjectBody?> OpenReadAsync(string sha256, ByteRange? range, CancellationToken ct)
    {
        var path = PathOf(ObjectAddress.Require(sha256));
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
        }
        catch (FileNotFoundException)
        {
            return Task.FromResult<ObjectBody?>(null);
        }
        catch (DirectoryNotFoundException)
        {
            return Task.FromResult<ObjectBody?>(null);
        }

        var total = file.Length;
        var (first, length) = Clamp(range, total);
        file.Position = first;
        return Task.FromResult<ObjectBody?>(new ObjectBody(new BoundedReadStream(file, length), first, length, total));
    }

    public Task<ObjectInfo?> StatAsync(string sha256, CancellationToken ct)
    {
        var info = new FileInfo(PathOf(ObjectAddress.Require(sha256)));
        return Task.FromResult(info.Exists ? new ObjectInfo(sha256, info.Length, info.LastWriteTimeUtc) : null);
    }

    public async IAsyncEnumerable<ObjectInfo> ListAsync([EnumeratorCancellation] CancellationToken ct)
    {
        var objects = Path.Combine(_root, "sha256");
        if (!Directory.Exists(objects)) yield break;
        foreach (var path in Directory.EnumerateFiles(objects, "*", SearchOption.AllDirectories))
        {
            ct.ThrowIfCancellationRequested();
            var name = Path.GetFileName(path);
            if (!ObjectAddress.IsValid(name)) continue;
            var info = new FileInfo(path);
            yield return new ObjectInfo(name, info.Length, info.LastWriteTimeUtc);
            await Task.CompletedTask;
        }
    }

    public Task<bool> DeleteAsync(string sha256, CancellationToken ct)
    {
        var path = PathOf(ObjectAddress.Require(sha256));
        if (!File.Exists(path)) return Task.FromResult(false);
        File.Delete(path);
        return Task.FromResult(true);
    }

    public Task<int> RemoveIncompleteAsync(DateTimeOffset olderThan, CancellationToken ct)
    {
        var removed = 0;
        foreach (var path in Directory.EnumerateFiles(Path.Combine(_root, Incoming)))
        {
            if (File.GetLastWriteTimeUtc(path) >= olderThan.UtcDateTime) continue;
            File.Delete(path);
            removed++;
        }

        return Task.FromResult(removed);
    }

    public Uri? PresignRead(string sha256, TimeSpan lifetime, string mediaType) => null;

    public Task CheckAvailableAsync(CancellationToken ct) =>
        Directory.Exists(Path.Combine(_root, Incoming))
            ? Task.CompletedTask
            : throw new ObjectStoreUnavailableException($"The object directory {_root} is missing (or its incoming/ folder).");

    string PathOf(string sha256) => Path.Combine(_root, ObjectAddress.KeyOf(sha256));

    /// <summary>As a content body: written to `incoming/`, flushed, then renamed over the name, and the rename made durable.</summary>
    public async Task<long> PutNamedAsync(string name, Stream body, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(body);
        var final = Path.Combine(_root, ObjectNames.Require(name));
        var temporary = Path.Combine(_root, Incoming, $"{Guid.NewGuid():N}.part");
        try
        {
            long size;
            await using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous))
            {
                await body.CopyToAsync(file, ct);
                size = file.Length;
                file.Flush(flushToDisk: true);
            }

            var directory = Path.GetDirectoryName(final)!;
            Directory.CreateDirectory(directory);
            File.Move(temporary, final, overwrite: true);
            SyncDirectory(directory);
            return size;
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    public Task<Stream?> OpenNamedAsync(string name, CancellationToken ct)
    {
        var path = Path.Combine(_root, ObjectNames.Require(name));
        return Task.FromResult<Stream?>(File.Exists(path)
            ? new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 81920, FileOptions.Asynchronous)
            : null);
    }

    public Task<IReadOnlyList<string>> ListNamedAsync(string prefix, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        var names = Directory.EnumerateFiles(_root, "*", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(_root, p).Replace(Path.DirectorySeparatorChar, '/'))
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal) && ObjectNames.IsValid(n))
            .Order(StringComparer.Ordinal)
            .ToList();
        return Task.FromResult<IReadOnlyList<string>>(names);
    }

    internal static (long First, long Length) Clamp(ByteRange? range, long total)
    {
        if (range is null) return (0, total);
        var first = Math.Min(range.First, total);
        var last = Math.Min(range.Last ?? (total - 1), total - 1);
        return (first, Math.Max(0, last - first + 1));
    }

    /// <summary>
    /// A rename is durable only once its directory is: without this a power loss after the database row committed could
    /// forget the rename and leave the row pointing at nothing. .NET has no directory fsync, so libc's is called.
    /// </summary>
    static void SyncDirectory(string directory)
    {
        if (!OperatingSystem.IsLinux()) return;
        var descriptor = Open(directory, 0);
        if (descriptor < 0) return;
        _ = Fsync(descriptor);
        _ = Close(descriptor);
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync")]
    private static partial int Fsync(int descriptor);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int descriptor);
}
