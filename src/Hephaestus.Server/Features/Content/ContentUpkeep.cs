using Hephaestus.Data.Content;
using Hephaestus.Storage;
using Npgsql;

namespace Hephaestus.Server.Features.Content;

/// <summary>A body whose row and object disagree, or an object no row records.</summary>
public sealed record BodyFinding(string Problem, string Sha256, string Detail);

/// <summary>What `content verify` found: rows whose object is missing or holds other bytes, and objects no row records.</summary>
public sealed record VerifyReport(int Rows, int Objects, IReadOnlyList<BodyFinding> Findings)
{
    public const string MissingObject = "missing object";
    public const string CorruptObject = "corrupt object";
    public const string OrphanObject = "orphan object";

    public bool Clean => Findings.Count == 0;
}

/// <summary>What `content gc` removed.</summary>
public sealed record GcReport(DateTimeOffset Cutoff, IReadOnlyList<string> BodiesDeleted, IReadOnlyList<string> OrphanObjectsDeleted, int IncompleteRemoved);

/// <summary>
/// Verification and garbage collection of content bodies: the database's rows (through Data/Content/ContentBodies, as
/// the schema owner) against the object store's objects. The CLI verbs call these; tests call them directly.
/// </summary>
public static class ContentUpkeep
{
    const int Batch = 1000;

    /// <summary>
    /// Every row's object must exist with the row's size and (unless <paramref name="hash"/> is false) hash to its
    /// address; every object must have a row. An object uploaded while this runs, whose row is not committed yet, shows
    /// as an orphan: run it again before acting on a young orphan (gc leaves those alone for its grace anyway).
    /// </summary>
    public static async Task<VerifyReport> VerifyAsync(NpgsqlDataSource owner, IObjectStore store, bool hash, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(store);
        var findings = new List<BodyFinding>();
        var rows = 0;
        await foreach (var (sha256, size, _) in ContentBodies.RowsAsync(owner, ct))
        {
            rows++;
            await using var body = await store.OpenReadAsync(sha256, null, ct);
            if (body is null)
            {
                findings.Add(new BodyFinding(VerifyReport.MissingObject, sha256, $"the row records {size} bytes; the store has no object"));
                continue;
            }

            if (body.TotalSize != size)
            {
                findings.Add(new BodyFinding(VerifyReport.CorruptObject, sha256, $"the row records {size} bytes; the object has {body.TotalSize}"));
                continue;
            }

            if (hash && await ObjectAddress.HashAsync(body.Content, ct) is var actual && actual != sha256)
            {
                findings.Add(new BodyFinding(VerifyReport.CorruptObject, sha256, $"the object's bytes hash to {actual}"));
            }
        }

        var objects = 0;
        await foreach (var batch in BatchesAsync(store.ListAsync(ct), ct))
        {
            objects += batch.Count;
            var unrecorded = await ContentBodies.UnrecordedAsync(owner, [.. batch.Select(o => o.Sha256)], ct);
            findings.AddRange(batch.Where(o => unrecorded.Contains(o.Sha256))
                .Select(o => new BodyFinding(VerifyReport.OrphanObject, o.Sha256, $"{o.Size} bytes stored {o.StoredAt:u}; no row records it")));
        }

        return new VerifyReport(rows, objects, findings);
    }

    /// <summary>
    /// Deletes what has been unused for longer than <paramref name="grace"/>: rows no version references (and their
    /// objects), objects no row records, and what interrupted writes left in the store. A body uploaded within the grace
    /// survives even if no version references it yet (it is about to be).
    /// </summary>
    public static async Task<GcReport> CollectAsync(NpgsqlDataSource owner, IObjectStore store, TimeSpan grace, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(store);
        var cutoff = DateTimeOffset.UtcNow - grace;
        var bodies = new List<string>();
        foreach (var sha256 in await ContentBodies.UnreferencedBeforeAsync(owner, cutoff, ct))
        {
            if (await ContentBodies.CollectBodyAsync(owner, sha256, cutoff, c => store.DeleteAsync(sha256, c), ct)) bodies.Add(sha256);
        }

        var orphans = new List<string>();
        await foreach (var batch in BatchesAsync(store.ListAsync(ct), ct))
        {
            var old = batch.Where(o => o.StoredAt < cutoff).Select(o => o.Sha256).ToList();
            if (old.Count == 0) continue;
            foreach (var sha256 in await ContentBodies.UnrecordedAsync(owner, old, ct))
            {
                if (await ContentBodies.CollectOrphanObjectAsync(owner, sha256, c => store.DeleteAsync(sha256, c), ct)) orphans.Add(sha256);
            }
        }

        var incomplete = await store.RemoveIncompleteAsync(cutoff, ct);
        return new GcReport(cutoff, bodies, orphans, incomplete);
    }

    static async IAsyncEnumerable<List<ObjectInfo>> BatchesAsync(IAsyncEnumerable<ObjectInfo> objects, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var batch = new List<ObjectInfo>(Batch);
        await foreach (var o in objects.WithCancellation(ct))
        {
            batch.Add(o);
            if (batch.Count < Batch) continue;
            yield return batch;
            batch = new List<ObjectInfo>(Batch);
        }

        if (batch.Count > 0) yield return batch;
    }
}
