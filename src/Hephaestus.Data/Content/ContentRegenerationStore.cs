using System.Text.Json;
using Hephaestus.Domain.Content;
using Npgsql;
using static Hephaestus.Data.SqlParameters;

namespace Hephaestus.Data.Content;

/// <summary>A flag on a version: it needs regenerating, from whom (a person, or a source such as item analysis) and why.</summary>
public sealed record ContentFlag(long Id, Guid VersionId, string Source, string Reason, Guid? FlaggedBy, DateTimeOffset FlaggedAt);

/// <summary>
/// A version waiting for regeneration: the dimensions whose current mean lies below the gate's threshold
/// (<c>[{dimension, value, threshold}]</c>), and its flags (how many, and the latest few).
/// </summary>
public sealed record RegenerationCandidate(Guid VersionId, Guid ItemId, int Version, ContentStatus Status, JsonElement Below, int FlagCount,
    JsonElement LatestFlags);

/// <summary>
/// The regeneration loop: flags, and the queue of versions that need regenerating (quality below the publish gate's
/// thresholds on some dimension, or flagged) until a version regenerated from them exists.
/// </summary>
public static class ContentRegenerationStore
{
    public const int LatestFlagsShown = 5;

    /// <summary>Flags a version; null when there is no such version visible to the actor.</summary>
    public static async Task<ContentFlag?> FlagAsync(ActorScope scope, Guid versionId, string source, string reason, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        await using var command = scope.Command("""
            INSERT INTO hephaestus.content_flags (content_version_id, source, reason, flagged_by)
            SELECT id, $2, $3, $4 FROM hephaestus.content_versions WHERE id = $1
            RETURNING id, content_version_id, source, reason, flagged_by, flagged_at
            """);
        command.Parameters.Add(Uuid(versionId));
        command.Parameters.Add(Text(source));
        command.Parameters.Add(Text(reason));
        command.Parameters.Add(NullableUuid(scope.Actor.PersonId));
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? ReadFlag(reader) : null;
    }

    /// <summary>A version's flags, oldest first; null when the version is not visible.</summary>
    public static async Task<IReadOnlyList<ContentFlag>?> FlagsAsync(ActorScope scope, Guid versionId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        await using var batch = scope.Batch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT 1 FROM hephaestus.content_versions WHERE id = $1") { Parameters = { Uuid(versionId) } });
        batch.BatchCommands.Add(new NpgsqlBatchCommand("""
            SELECT id, content_version_id, source, reason, flagged_by, flagged_at FROM hephaestus.content_flags WHERE content_version_id = $1 ORDER BY id
            """) { Parameters = { Uuid(versionId) } });
        await using var reader = await batch.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        await reader.NextResultAsync(ct);
        var flags = new List<ContentFlag>();
        while (await reader.ReadAsync(ct)) flags.Add(ReadFlag(reader));
        return flags;
    }

    /// <summary>
    /// Versions needing regeneration, by id after <paramref name="after"/>: flagged, or with a current mean below a
    /// threshold of <paramref name="gate"/> (a dimension without scores is not below). Retired versions and versions a
    /// later version was regenerated from are left out. The candidates come from the flags and the current scores, so
    /// the query never walks versions nobody scored or flagged.
    /// </summary>
    public static async Task<Page<RegenerationCandidate>> QueueAsync(ActorScope scope, PublishGate gate, Guid? after, int size, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(gate);
        await using var command = scope.Command("""
            WITH thresholds AS (
                SELECT * FROM unnest($1::text[], $2::numeric[]) AS t (dimension, minimum)
            ), below AS (
                SELECT s.content_version_id, s.dimension, avg(s.normalized) AS mean, t.minimum
                FROM hephaestus.content_quality_scores s JOIN thresholds t ON t.dimension = s.dimension
                WHERE s.superseded_at IS NULL AND ($3::uuid IS NULL OR s.content_version_id > $3)
                GROUP BY s.content_version_id, s.dimension, t.minimum
                HAVING avg(s.normalized) < t.minimum
            ), candidates AS (
                SELECT content_version_id AS id FROM below
                UNION
                SELECT content_version_id FROM hephaestus.content_flags WHERE ($3::uuid IS NULL OR content_version_id > $3)
            )
            SELECT v.id, v.content_item_id, v.version, v.status,
                   coalesce((SELECT json_agg(json_build_object('dimension', b.dimension, 'value', round(b.mean, 4), 'threshold', b.minimum)
                                             ORDER BY b.dimension)
                             FROM below b WHERE b.content_version_id = v.id), '[]'),
                   (SELECT count(*)::int FROM hephaestus.content_flags f WHERE f.content_version_id = v.id),
                   coalesce((SELECT json_agg(json_build_object('source', f.source, 'reason', f.reason, 'flaggedAt', f.flagged_at) ORDER BY f.id DESC)
                             FROM (SELECT * FROM hephaestus.content_flags f WHERE f.content_version_id = v.id ORDER BY f.id DESC LIMIT $5) f), '[]')
            FROM candidates c JOIN hephaestus.content_versions v ON v.id = c.id
            WHERE v.status <> 'retired'
              AND NOT EXISTS (SELECT FROM hephaestus.content_versions r WHERE r.regenerated_from = v.id)
            ORDER BY v.id
            LIMIT $4
            """);
        var thresholds = gate.MinimumNormalizedMean.OrderBy(t => t.Key, StringComparer.Ordinal).ToList();
        command.Parameters.Add(TextArray([.. thresholds.Select(t => t.Key)]));
        command.Parameters.Add(new NpgsqlParameter<decimal[]> { TypedValue = [.. thresholds.Select(t => t.Value)] });
        command.Parameters.Add(NullableUuid(after));
        command.Parameters.Add(Int(Paging.Fetch(size)));
        command.Parameters.Add(Int(LatestFlagsShown));
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = new List<RegenerationCandidate>();
        while (await reader.ReadAsync(ct))
        {
            rows.Add(new RegenerationCandidate(reader.GetGuid(0), reader.GetGuid(1), reader.GetInt32(2), ContentStatusNames.Parse(reader.GetString(3)),
                reader.GetJson(4), reader.GetInt32(5), reader.GetJson(6)));
        }

        return Paging.TrimById(rows, size, r => r.VersionId);
    }

    static ContentFlag ReadFlag(NpgsqlDataReader reader) =>
        new(reader.GetInt64(0), reader.GetGuid(1), reader.GetString(2), reader.GetString(3), reader.GetNullableGuid(4), reader.GetTime(5));
}
