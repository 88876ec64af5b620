using System.Runtime.CompilerServices;
using Npgsql;
using static Hephaestus.Data.SqlParameters;

namespace Hephaestus.Data.Content;

public enum BodyRecordOutcome
{
    /// <summary>A new content_bodies row.</summary>
    Created,
    /// <summary>The body was already recorded (its stored_at is refreshed, so `content gc` counts its grace from now).</summary>
    Existed,
    /// <summary>The object was collected by `content gc` between its upload and this row: nothing was recorded.</summary>
    ObjectVanished,
}

/// <summary>
/// The rows of content bodies, written after the object store holds the object (object first, row after), and the
/// upkeep that `content verify` and `content gc` do on them. The object store itself is the caller's (Server): this
/// layer knows only SQL, and asks the caller to look at or delete an object while it holds the body's lock.
/// </summary>
public static class ContentBodies
{
    /// <summary>
    /// One transaction-or-session advisory lock per body address, taken by the upload (around its row) and by `content gc`
    /// (around deleting a row and its object, or an orphan object): gc can then never delete an object between an upload's
    /// check that the object is there and the row that names it.
    /// </summary>
    const string LockKey = "hashtextextended('hephaestus.content_body:' || $1, 0)";

    const string Record = """
        INSERT INTO hephaestus.content_bodies (sha256, size_bytes, stored_by) VALUES ($1, $2, $3)
        ON CONFLICT (sha256) DO UPDATE SET stored_at = now()
        RETURNING xmax = 0
        """;

    /// <summary>
    /// Records a body the store holds. Under the body's lock it first asks <paramref name="objectIsStored"/> (the object
    /// could have been an old orphan that `content gc` collected after the upload found it already stored).
    /// </summary>
    public static async Task<BodyRecordOutcome> RecordAsync(NpgsqlDataSource db, Actor actor, string sha256, long size, Func<CancellationToken, Task<bool>> objectIsStored,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(objectIsStored);
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        await using (var take = scope.Command($"SELECT pg_advisory_xact_lock({LockKey})"))
        {
            take.Parameters.Add(Text(sha256));
            await take.ExecuteNonQueryAsync(ct);
        }

        if (!await objectIsStored(ct)) return BodyRecordOutcome.ObjectVanished;
        await using var insert = scope.Command(Record);
        insert.Parameters.Add(Text(sha256));
        insert.Parameters.Add(new NpgsqlParameter<long> { TypedValue = size });
        insert.Parameters.Add(NullableUuid(actor.PersonId));
        var created = (bool)(await insert.ExecuteScalarAsync(ct))!;
        await scope.CommitAsync(ct);
        return created ? BodyRecordOutcome.Created : BodyRecordOutcome.Existed;
    }

    /// <summary>Whether a body is recorded (staff reading a body's existence before creating a version).</summary>
    public static async Task<long?> SizeAsync(NpgsqlDataSource db, Actor actor, string sha256, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        await using var command = scope.Command("SELECT size_bytes FROM hephaestus.content_bodies WHERE sha256 = $1");
        command.Parameters.Add(Text(sha256));
        return await command.ExecuteScalarAsync(ct) as long?;
    }

    // Upkeep: run by the CLI as the schema owner (row-level security does not apply; the application role may not delete bodies).

    /// <summary>Every recorded body, streamed (verification reads the matching object of each).</summary>
    public static async IAsyncEnumerable<(string Sha256, long Size, DateTimeOffset StoredAt)> RowsAsync(NpgsqlDataSource owner, [EnumeratorCancellation] CancellationToken ct)
    {
        await using var command = owner.CreateCommand("SELECT sha256, size_bytes, stored_at FROM hephaestus.content_bodies ORDER BY sha256");
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) yield return (reader.GetString(0), reader.GetInt64(1), reader.GetTime(2));
    }

    /// <summary>
    /// What names an object: a content body row, or an xAPI attachment row (xAPI attachment bodies share the store, and
    /// gc must never collect them).
    /// </summary>
    const string ObjectRecorded = """
        (EXISTS (SELECT 1 FROM hephaestus.content_bodies b WHERE b.sha256 = $1)
         OR EXISTS (SELECT 1 FROM hephaestus.xapi_attachments a WHERE a.object_sha256 = $1))
        """;

    /// <summary>Of these addresses, those no content_bodies or xAPI attachment row records (orphan objects).</summary>
    public static async Task<HashSet<string>> UnrecordedAsync(NpgsqlDataSource owner, IReadOnlyCollection<string> sha256s, CancellationToken ct)
    {
        await using var command = owner.CreateCommand(
            "SELECT s FROM unnest($1::text[]) s WHERE NOT EXISTS (SELECT 1 FROM hephaestus.content_bodies b WHERE b.sha256 = s) "
            + "AND NOT EXISTS (SELECT 1 FROM hephaestus.xapi_attachments a WHERE a.object_sha256 = s)");
        command.Parameters.Add(TextArray([.. sha256s]));
        await using var reader = await command.ExecuteReaderAsync(ct);
        var unrecorded = new HashSet<string>(StringComparer.Ordinal);
        while (await reader.ReadAsync(ct)) unrecorded.Add(reader.GetString(0));
        return unrecorded;
    }

    /// <summary>Bodies stored (or last uploaded) before <paramref name="cutoff"/> that no version references: gc's candidates.</summary>
    public static async Task<List<string>> UnreferencedBeforeAsync(NpgsqlDataSource owner, DateTimeOffset cutoff, CancellationToken ct)
    {
        await using var command = owner.CreateCommand("""
            SELECT b.sha256 FROM hephaestus.content_bodies b
            WHERE b.stored_at < $1 AND NOT EXISTS (SELECT 1 FROM hephaestus.content_versions v WHERE v.body_sha256 = b.sha256)
            """);
        command.Parameters.Add(NullableTime(cutoff));
        await using var reader = await command.ExecuteReaderAsync(ct);
        var candidates = new List<string>();
        while (await reader.ReadAsync(ct)) candidates.Add(reader.GetString(0));
        return candidates;
    }

    /// <summary>
    /// Deletes a body's row if it is still older than the cutoff and unreferenced, then its object, under the body's lock.
    /// The DELETE re-checks in one statement, and the foreign key from content_versions protects the rest: a version
    /// created meanwhile either commits first (the DELETE then fails on the foreign key, and the body stays) or waits on
    /// the row and fails after the DELETE commits (the creator answers "no such body"). No version is ever left without
    /// its body. False when the body stays.
    /// </summary>
    public static Task<bool> CollectBodyAsync(NpgsqlDataSource owner, string sha256, DateTimeOffset cutoff, Func<CancellationToken, Task> deleteObject, CancellationToken ct) =>
        UnderLockAsync(owner, sha256, async connection =>
        {
            await using var delete = new NpgsqlCommand("""
                DELETE FROM hephaestus.content_bodies b
                WHERE b.sha256 = $1 AND b.stored_at < $2
                  AND NOT EXISTS (SELECT 1 FROM hephaestus.content_versions v WHERE v.body_sha256 = b.sha256)
                """, connection);
            delete.Parameters.Add(Text(sha256));
            delete.Parameters.Add(NullableTime(cutoff));
            try
            {
                if (await delete.ExecuteNonQueryAsync(ct) == 0) return false;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ForeignKeyViolation)
            {
                return false;
            }

            // The row is gone (committed: the statement ran on its own); only now may the object go, unless an xAPI
            // attachment holds the same bytes (it took this lock to name the object, so none can appear meanwhile).
            await using var attached = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM hephaestus.xapi_attachments WHERE object_sha256 = $1)", connection);
            attached.Parameters.Add(Text(sha256));
            if (!(bool)(await attached.ExecuteScalarAsync(ct))!) await deleteObject(ct);
            return true;
        }, ct);

    /// <summary>Deletes an object that no row records, unless a row appeared meanwhile; under the body's lock.</summary>
    public static Task<bool> CollectOrphanObjectAsync(NpgsqlDataSource owner, string sha256, Func<CancellationToken, Task> deleteObject, CancellationToken ct) =>
        UnderLockAsync(owner, sha256, async connection =>
        {
            await using var recorded = new NpgsqlCommand("SELECT " + ObjectRecorded, connection);
            recorded.Parameters.Add(Text(sha256));
            if ((bool)(await recorded.ExecuteScalarAsync(ct))!) return false;
            await deleteObject(ct);
            return true;
        }, ct);

    static async Task<bool> UnderLockAsync(NpgsqlDataSource owner, string sha256, Func<NpgsqlConnection, Task<bool>> work, CancellationToken ct)
    {
        await using var connection = await owner.OpenConnectionAsync(ct);
        await using (var take = new NpgsqlCommand($"SELECT pg_advisory_lock({LockKey})", connection))
        {
            take.Parameters.Add(Text(sha256));
            await take.ExecuteNonQueryAsync(ct);
        }

        try
        {
            return await work(connection);
        }
        finally
        {
            await using var release = new NpgsqlCommand($"SELECT pg_advisory_unlock({LockKey})", connection);
            release.Parameters.Add(Text(sha256));
            await release.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }
}
