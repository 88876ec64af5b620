namespace Hephaestus.Storage;

/// <summary>
/// A content-addressed object store: a body's address is the SHA-256 of its bytes, so the same body is stored once and an
/// address can never silently come to mean other bytes. Bodies stream both ways; no implementation buffers a whole body
/// in memory. The database keeps only addresses and metadata, and writes its row after <see cref="PutAsync"/> returns
/// (object first, row after): a crash between the two leaves at most an orphan object, which `content gc` removes.
/// </summary>
public interface IObjectStore
{
    /// <summary>
    /// Streams <paramref name="body"/> into the store while hashing it. The object becomes visible under its address only
    /// once all of it is durable and it matched <paramref name="expectation"/>; otherwise nothing is kept and
    /// <see cref="ObjectRefusedException"/> says why. Storing a body that is already there keeps the existing object.
    /// </summary>
    Task<StoredObject> PutAsync(Stream body, ObjectExpectation expectation, CancellationToken ct);

    /// <summary>Opens an object (or a byte range of it) for streaming; null when no object has that address.</summary>
    Task<ObjectBody?> OpenReadAsync(string sha256, ByteRange? range, CancellationToken ct);

    /// <summary>The object's size and time of storing; null when it is absent.</summary>
    Task<ObjectInfo?> StatAsync(string sha256, CancellationToken ct);

    /// <summary>Every stored object, in no particular order (for verification and garbage collection).</summary>
    IAsyncEnumerable<ObjectInfo> ListAsync(CancellationToken ct);

    /// <summary>Deletes an object; false when it was not there.</summary>
    Task<bool> DeleteAsync(string sha256, CancellationToken ct);

    /// <summary>Removes what interrupted writes left behind (partial files, unfinished multipart uploads) older than a time.</summary>
    Task<int> RemoveIncompleteAsync(DateTimeOffset olderThan, CancellationToken ct);

    /// <summary>
    /// A URL that lets a client GET the object directly until <paramref name="lifetime"/> passes, answered with the given
    /// media type; null when this store has no such URLs (the filesystem), in which case the API streams the body itself.
    /// </summary>
    Uri? PresignRead(string sha256, TimeSpan lifetime, string mediaType);

    /// <summary>
    /// Whether the store can serve now (the service's check at start, and readiness); throws
    /// <see cref="ObjectStoreUnavailableException"/> saying what is wrong. A store with nothing to check answers at once.
    /// </summary>
    Task CheckAvailableAsync(CancellationToken ct) => Task.CompletedTask;
}

/// <summary>What a stored body is: its address and its length in bytes.</summary>
public sealed record StoredObject(string Sha256, long Size)
{
    /// <summary>The object's key within the store (and the value recorded in the database).</summary>
    public string Key => ObjectAddress.KeyOf(Sha256);
}

/// <summary>What the writer knows in advance: a limit always, the hash and size when the client declared them.</summary>
/// <param name="MaxBytes">Bodies longer than this are refused as they stream, before they fill a disk.</param>
/// <param name="Sha256">The hash the client declared (lowercase hex); a body that hashes otherwise is refused.</param>
/// <param name="Size">The length the client declared (e.g. Content-Length); a body of another length is refused.</param>
public sealed record ObjectExpectation(long MaxBytes, string? Sha256 = null, long? Size = null);

/// <summary>A stored object as listed or inspected.</summary>
public sealed record ObjectInfo(string Sha256, long Size, DateTimeOffset StoredAt);

/// <summary>An inclusive byte range as HTTP Range means it; <see cref="Last"/> null means "to the end".</summary>
public sealed record ByteRange(long First, long? Last);

/// <summary>An open object: the bytes of the requested range, and the whole object's size (for Content-Range).</summary>
public sealed class ObjectBody(Stream content, long first, long length, long totalSize) : IAsyncDisposable
{
    public Stream Content { get; } = content;
    public long First { get; } = first;
    public long Length { get; } = length;
    public long TotalSize { get; } = totalSize;

    public ValueTask DisposeAsync() => Content.DisposeAsync();
}

/// <summary>Why a body was not stored. Nothing of it remains in the store when this is thrown.</summary>
public sealed class ObjectRefusedException(ObjectRefusal reason, string message) : Exception(message)
{
    public ObjectRefusal Reason { get; } = reason;
}

/// <summary>The store does not answer, or its bucket or directory is missing or refused to us.</summary>
public sealed class ObjectStoreUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

public enum ObjectRefusal
{
    /// <summary>The body is longer than the limit.</summary>
    TooLarge,
    /// <summary>The body's SHA-256 differs from the declared one.</summary>
    HashMismatch,
    /// <summary>The body's length differs from the declared one.</summary>
    SizeMismatch,
}
