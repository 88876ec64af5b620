using Hephaestus.Domain.Content;
using Npgsql;
using static Hephaestus.Data.SqlParameters;

namespace Hephaestus.Data.Content;

/// <summary>A quality dimension and its declared scale.</summary>
public sealed record QualityDimension(string Name, string Description, decimal ScaleMin, decimal ScaleMax);

/// <summary>
/// Who scores: a person (the actor), or an automated judge named by its model and judging rubric, posted by a service
/// signed in as a reviewer.
/// </summary>
public sealed record Evaluator(EvaluatorKind Kind, string? ModelId = null, string? RubricId = null, string? RubricVersion = null)
{
    public static readonly Evaluator Human = new(EvaluatorKind.Human);
}

/// <summary>One score of a batch: a dimension, a value on its scale, and why.</summary>
public sealed record ScoreInput(string Dimension, decimal Score, string? Rationale);

/// <summary>A stored score; <see cref="SupersededAt"/> is set once the same evaluator scored the same dimension again.</summary>
public sealed record QualityScore(Guid Id, Guid VersionId, string Dimension, decimal Score, decimal Normalized, decimal ScaleMin, decimal ScaleMax,
    EvaluatorKind EvaluatorKind, string? JudgeModelId, string? JudgeRubricId, string? JudgeRubricVersion, Guid? ScoredBy, string? Rationale,
    DateTimeOffset ScoredAt, DateTimeOffset? SupersededAt);

/// <summary>A score of a batch that cannot be stored: its position in the batch, the field and why.</summary>
public sealed record ScoreProblem(int Index, string Field, string Message);

public enum ScoringOutcome
{
    Recorded,
    VersionNotFound,

    /// <summary>An unknown dimension or a value off its scale (<see cref="Scoring.Problems"/>); nothing was stored.</summary>
    Invalid,
}

public sealed record Scoring(ScoringOutcome Outcome, IReadOnlyList<QualityScore> Scores, IReadOnlyList<ScoreProblem> Problems);

/// <summary>Count, mean (raw and normalized to 0..1), minimum and maximum of a set of current scores.</summary>
public sealed record QualityFigures(int Count, decimal Mean, decimal MeanNormalized, decimal Min, decimal Max);

/// <summary>A dimension's current scores summed up: all of them, and the judges' and people's apart (null when none).</summary>
public sealed record DimensionQuality(string Dimension, decimal ScaleMin, decimal ScaleMax, QualityFigures All, QualityFigures? Judge, QualityFigures? Human);

/// <summary>
/// Quality scores of content versions: several evaluators (judges and people) on declared dimensions. A re-score by the
/// same evaluator on the same dimension supersedes the earlier row and keeps it; aggregates use the current scores.
/// </summary>
public static class ContentQualityStore
{
    public const int HistoryPageSize = 100;

    const string ScoreColumns = """
        id, content_version_id, dimension, score, normalized, scale_min, scale_max, evaluator_kind, judge_model_id, judge_rubric_id,
        judge_rubric_version, scored_by, rationale, scored_at, superseded_at
        """;

    public static async Task<IReadOnlyList<QualityDimension>> DimensionsAsync(ActorScope scope, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        await using var command = scope.Command("SELECT name, description, scale_min, scale_max FROM hephaestus.quality_dimensions ORDER BY name");
        await using var reader = await command.ExecuteReaderAsync(ct);
        var dimensions = new List<QualityDimension>();
        while (await reader.ReadAsync(ct)) dimensions.Add(new QualityDimension(reader.GetString(0), reader.GetString(1), reader.GetDecimal(2), reader.GetDecimal(3)));
        return dimensions;
    }

    /// <summary>
    /// Records a batch of one evaluator's scores on a version. The version's row is locked first, so scores never land
    /// between a publish's gate check and its commit; each dimension's previous current score by this evaluator is
    /// superseded in the same transaction.
    /// </summary>
    public static async Task<Scoring> RecordAsync(ActorScope scope, Guid versionId, Evaluator evaluator, IReadOnlyList<ScoreInput> scores, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(evaluator);
        ArgumentNullException.ThrowIfNull(scores);
        await using (var lockVersion = scope.Command("SELECT 1 FROM hephaestus.content_versions WHERE id = $1 FOR NO KEY UPDATE"))
        {
            lockVersion.Parameters.Add(Uuid(versionId));
            if (await lockVersion.ExecuteScalarAsync(ct) is null) return new Scoring(ScoringOutcome.VersionNotFound, [], []);
        }

        var scales = (await DimensionsAsync(scope, ct)).ToDictionary(d => d.Name, StringComparer.Ordinal);
        var problems = new List<ScoreProblem>();
        for (var i = 0; i < scores.Count; i++)
        {
            if (!scales.TryGetValue(scores[i].Dimension, out var scale))
            {
                problems.Add(new ScoreProblem(i, "dimension", $"'{scores[i].Dimension}' is not a quality dimension; they are {string.Join(", ", scales.Keys)}"));
            }
            else if (scores[i].Score < scale.ScaleMin || scores[i].Score > scale.ScaleMax)
            {
                problems.Add(new ScoreProblem(i, "score", FormattableString.Invariant($"must be on the scale of {scale.Name}: {scale.ScaleMin:0.####} to {scale.ScaleMax:0.####}")));
            }
        }

        if (problems.Count > 0) return new Scoring(ScoringOutcome.Invalid, [], problems);

        var dimensions = scores.Select(s => s.Dimension).ToArray();
        var kind = WireName(evaluator.Kind);
        var scoredBy = scope.Actor.PersonId;
        await using var batch = scope.Batch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand("""
            UPDATE hephaestus.content_quality_scores SET superseded_at = now()
            WHERE content_version_id = $1 AND dimension = ANY ($2) AND superseded_at IS NULL
              AND evaluator = hephaestus.content_evaluator($3, $4, $5, $6, $7)
            """)
        {
            Parameters = { Uuid(versionId), TextArray(dimensions), Text(kind), Text(evaluator.ModelId), Text(evaluator.RubricId), Text(evaluator.RubricVersion), NullableUuid(scoredBy) },
        });
        batch.BatchCommands.Add(new NpgsqlBatchCommand($"""
            INSERT INTO hephaestus.content_quality_scores (id, content_version_id, dimension, scale_min, scale_max, score, evaluator_kind,
                judge_model_id, judge_rubric_id, judge_rubric_version, scored_by, rationale)
            SELECT s.id, $1, d.name, d.scale_min, d.scale_max, s.score, $5, $6, $7, $8, $9, s.rationale
            FROM unnest($2::uuid[], $3::text[], $4::numeric[], $10::text[]) WITH ORDINALITY AS s (id, dimension, score, rationale, position)
            JOIN hephaestus.quality_dimensions d ON d.name = s.dimension
            ORDER BY s.position
            RETURNING {ScoreColumns}
            """)
        {
            Parameters =
            {
                Uuid(versionId), Uuids([.. scores.Select(_ => Guid.CreateVersion7())]), TextArray(dimensions),
                new NpgsqlParameter<decimal[]> { TypedValue = [.. scores.Select(s => s.Score)] },
                Text(kind), Text(evaluator.ModelId), Text(evaluator.RubricId), Text(evaluator.RubricVersion), NullableUuid(scoredBy),
                TextArray([.. scores.Select(s => s.Rationale)]),
            },
        });
        await using var reader = await batch.ExecuteReaderAsync(ct);
        var written = await ReadScoresAsync(reader, ct);
        return new Scoring(ScoringOutcome.Recorded, written, []);
    }

    /// <summary>Per dimension, the current scores summed up; null when the version is not visible.</summary>
    public static async Task<IReadOnlyList<DimensionQuality>?> AggregateAsync(ActorScope scope, Guid versionId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        await using var batch = scope.Batch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT 1 FROM hephaestus.content_versions WHERE id = $1") { Parameters = { Uuid(versionId) } });
        // One pass: the dimension as a whole (evaluator_kind NULL in the grouping set) and each kind of evaluator apart.
        batch.BatchCommands.Add(new NpgsqlBatchCommand("""
            SELECT dimension, evaluator_kind, min(scale_min), min(scale_max), count(*)::int, avg(score), avg(normalized), min(score), max(score)
            FROM hephaestus.content_quality_scores
            WHERE content_version_id = $1 AND superseded_at IS NULL
            GROUP BY GROUPING SETS ((dimension), (dimension, evaluator_kind))
            ORDER BY dimension, evaluator_kind NULLS FIRST
            """) { Parameters = { Uuid(versionId) } });
        await using var reader = await batch.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        await reader.NextResultAsync(ct);
        var dimensions = new List<DimensionQuality>();
        while (await reader.ReadAsync(ct))
        {
            var figures = new QualityFigures(reader.GetInt32(4), Round(reader.GetDecimal(5)), Round(reader.GetDecimal(6)), reader.GetDecimal(7), reader.GetDecimal(8));
            var kind = reader.GetNullableString(1);
            if (kind is null)
            {
                dimensions.Add(new DimensionQuality(reader.GetString(0), reader.GetDecimal(2), reader.GetDecimal(3), figures, null, null));
            }
            else
            {
                var dimension = dimensions[^1];
                dimensions[^1] = kind == WireName(EvaluatorKind.Judge) ? dimension with { Judge = figures } : dimension with { Human = figures };
            }
        }

        return dimensions;
    }

    /// <summary>Every score of a version, current and superseded, in the order given; null when the version is not visible.</summary>
    public static async Task<Page<QualityScore>?> HistoryAsync(ActorScope scope, Guid versionId, Guid? after, int size, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        await using var batch = scope.Batch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT 1 FROM hephaestus.content_versions WHERE id = $1") { Parameters = { Uuid(versionId) } });
        batch.BatchCommands.Add(new NpgsqlBatchCommand($"""
            SELECT {ScoreColumns} FROM hephaestus.content_quality_scores
            WHERE content_version_id = $1 AND ($2::uuid IS NULL OR id > $2)
            ORDER BY id LIMIT $3
            """) { Parameters = { Uuid(versionId), NullableUuid(after), Int(Paging.Fetch(size)) } });
        await using var reader = await batch.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        await reader.NextResultAsync(ct);
        return Paging.TrimById(await ReadScoresAsync(reader, ct), size, s => s.Id);
    }

    static async Task<List<QualityScore>> ReadScoresAsync(NpgsqlDataReader reader, CancellationToken ct)
    {
        var scores = new List<QualityScore>();
        while (await reader.ReadAsync(ct))
        {
            scores.Add(new QualityScore(reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2), reader.GetDecimal(3), Round(reader.GetDecimal(4)),
                reader.GetDecimal(5), reader.GetDecimal(6), Domain.WireNames<EvaluatorKind>.Parse(reader.GetString(7)), reader.GetNullableString(8),
                reader.GetNullableString(9), reader.GetNullableString(10), reader.GetNullableGuid(11), reader.GetNullableString(12), reader.GetTime(13),
                reader.GetNullableTime(14)));
        }

        return scores;
    }

    static string WireName(EvaluatorKind kind) => Domain.WireNames<EvaluatorKind>.Of(kind);

    /// <summary>Means are shown to four places: enough for a 0..1 figure, and stable in JSON.</summary>
    static decimal Round(decimal value) => Math.Round(value, 4, MidpointRounding.AwayFromZero);
}
