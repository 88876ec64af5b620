using System.Text.RegularExpressions;
using Hephaestus.Data;
using Npgsql;
using NpgsqlTypes;
using static Hephaestus.Data.SqlParameters;

namespace Hephaestus.Server.Features.Paths;

/// <summary>The paths SQL beside its readers.</summary>
internal static partial class PathSql
{
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    public static partial Regex CodeShape();

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,63}$")]
    public static partial Regex StepKeyShape();


    /// <summary>Locks the version row (so steps, publish and retire of one version happen one at a time) and returns its status.</summary>
    public static async Task<string?> LockVersionAsync(ActorScope scope, Guid pathId, Guid versionId, CancellationToken ct)
    {
        await using var command = scope.Command("SELECT status FROM hephaestus.path_versions WHERE id = $1 AND path_id = $2 FOR UPDATE");
        command.Parameters.Add(Uuid(versionId));
        command.Parameters.Add(Uuid(pathId));
        return (string?)await command.ExecuteScalarAsync(ct);
    }

    public static async Task<PathResponse?> ReadPathAsync(ActorScope scope, Guid pathId, CancellationToken ct)
    {
        await using var command = scope.Command("""
            SELECT p.id, p.code, p.title, p.description, p.created_at,
                   v.id, v.version, v.status, v.created_at, v.published_at, v.retired_at,
                   (SELECT count(*)::int FROM hephaestus.path_steps s WHERE s.path_version_id = v.id)
            FROM hephaestus.learning_paths p
            LEFT JOIN hephaestus.path_versions v ON v.path_id = p.id
            WHERE p.id = $1
            ORDER BY v.version
            """);
        command.Parameters.Add(Uuid(pathId));
        await using var reader = await command.ExecuteReaderAsync(ct);
        PathResponse? path = null;
        var versions = new List<PathVersionSummary>();
        while (await reader.ReadAsync(ct))
        {
            path ??= new PathResponse(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.GetFieldValue<DateTimeOffset>(4), versions);
            if (!reader.IsDBNull(5))
            {
                versions.Add(new PathVersionSummary(reader.GetGuid(5), reader.GetInt32(6), reader.GetString(7), reader.GetFieldValue<DateTimeOffset>(8),
                    reader.IsDBNull(9) ? null : reader.GetFieldValue<DateTimeOffset>(9), reader.IsDBNull(10) ? null : reader.GetFieldValue<DateTimeOffset>(10),
                    reader.GetInt32(11)));
            }
        }

        return path;
    }

    /// <summary>The version, its steps and its prerequisites: three statements, one round trip.</summary>
    public static async Task<PathVersionResponse?> ReadVersionAsync(ActorScope scope, Guid pathId, Guid versionId, CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(scope.Connection, scope.Transaction)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("SELECT id, path_id, version, status, created_at, published_at, retired_at FROM hephaestus.path_versions WHERE id = $1 AND path_id = $2")
                {
                    Parameters = { Uuid(versionId), Uuid(pathId) },
                },
                new NpgsqlBatchCommand("""
                    SELECT id, step_key, kind, ref_id, title, position, target_skill_ids, unlock_rule::text, estimated_minutes
                    FROM hephaestus.path_steps WHERE path_version_id = $1 ORDER BY position
                    """)
                {
                    Parameters = { Uuid(versionId) },
                },
                new NpgsqlBatchCommand("""
                    SELECT p.step_id, s.step_key
                    FROM hephaestus.path_step_prerequisites p JOIN hephaestus.path_steps s ON s.id = p.prerequisite_step_id
                    WHERE p.path_version_id = $1 ORDER BY s.position
                    """)
                {
                    Parameters = { Uuid(versionId) },
                },
            },
        };
        await using var reader = await batch.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        var header = (Id: reader.GetGuid(0), PathId: reader.GetGuid(1), Version: reader.GetInt32(2), Status: reader.GetString(3),
            CreatedAt: reader.GetFieldValue<DateTimeOffset>(4), PublishedAt: reader.IsDBNull(5) ? (DateTimeOffset?)null : reader.GetFieldValue<DateTimeOffset>(5),
            RetiredAt: reader.IsDBNull(6) ? (DateTimeOffset?)null : reader.GetFieldValue<DateTimeOffset>(6));

        await reader.NextResultAsync(ct);
        var rows = new List<(Guid Id, string Key, string Kind, Guid Ref, string Title, int Position, Guid[] Targets, string? Rule, int? Minutes)>();
        while (await reader.ReadAsync(ct))
        {
            rows.Add((reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetGuid(3), reader.GetString(4), reader.GetInt32(5),
                reader.GetFieldValue<Guid[]>(6), reader.IsDBNull(7) ? null : reader.GetString(7), reader.IsDBNull(8) ? null : reader.GetInt32(8)));
        }

        await reader.NextResultAsync(ct);
        var prerequisites = new Dictionary<Guid, List<string>>();
        while (await reader.ReadAsync(ct))
        {
            var stepId = reader.GetGuid(0);
            if (!prerequisites.TryGetValue(stepId, out var list)) prerequisites[stepId] = list = [];
            list.Add(reader.GetString(1));
        }

        var steps = rows.Select(r => new StepResponse(r.Id, r.Key, r.Kind, r.Ref, r.Title, r.Position, r.Targets, PathsApi.ParseJson(r.Rule), r.Minutes,
            prerequisites.TryGetValue(r.Id, out var p) ? p : [])).ToList();
        return new PathVersionResponse(header.Id, header.PathId, header.Version, header.Status, header.CreatedAt, header.PublishedAt, header.RetiredAt, steps);
    }

    /// <summary>All steps in one statement: parallel arrays through unnest, not one INSERT per step.</summary>
    public static async Task InsertStepsAsync(ActorScope scope, Guid versionId, IReadOnlyList<StepDefinition> steps, IReadOnlyDictionary<string, Guid> ids, CancellationToken ct)
    {
        await using var command = scope.Command("""
            INSERT INTO hephaestus.path_steps (id, path_version_id, step_key, kind, ref_id, title, position, target_skill_ids, unlock_rule, estimated_minutes)
            SELECT u.id, $1, u.step_key, u.kind, u.ref_id, u.title, u.position - 1, u.targets::uuid[], u.rule::jsonb, u.minutes
            FROM unnest($2::uuid[], $3::text[], $4::text[], $5::uuid[], $6::text[], $7::text[], $8::text[], $9::int[])
                 WITH ORDINALITY AS u (id, step_key, kind, ref_id, title, targets, rule, minutes, position)
            """);
        command.Parameters.Add(Uuid(versionId));
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = steps.Select(s => ids[s.Key]).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = steps.Select(s => s.Key).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = steps.Select(s => s.Kind).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = steps.Select(s => s.RefId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = steps.Select(s => s.Title).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = steps.Select(s => "{" + string.Join(',', StepValidation.Targets(s)) + "}").ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = steps.Select(s => s.UnlockRule is { } r ? (object)r.GetRawText() : DBNull.Value).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = steps.Select(s => s.EstimatedMinutes is { } m ? (object)m : DBNull.Value).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer });
        await command.ExecuteNonQueryAsync(ct);
    }

    public static async Task InsertPrerequisitesAsync(ActorScope scope, Guid versionId, IReadOnlyList<StepDefinition> steps, IReadOnlyDictionary<string, Guid> ids, CancellationToken ct)
    {
        var edges = steps.SelectMany(s => (s.Prerequisites ?? []).Distinct(StringComparer.Ordinal).Select(p => (Step: ids[s.Key], Prerequisite: ids[p]))).ToList();
        if (edges.Count == 0) return;
        await using var command = scope.Command("""
            INSERT INTO hephaestus.path_step_prerequisites (path_version_id, step_id, prerequisite_step_id)
            SELECT $1, u.step_id, u.prerequisite_id FROM unnest($2::uuid[], $3::uuid[]) AS u (step_id, prerequisite_id)
            """);
        command.Parameters.Add(Uuid(versionId));
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = edges.Select(e => e.Step).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = edges.Select(e => e.Prerequisite).ToArray() });
        await command.ExecuteNonQueryAsync(ct);
    }
}
