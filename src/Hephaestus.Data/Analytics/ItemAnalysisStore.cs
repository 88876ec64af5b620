using Hephaestus.Domain.Analytics;
using Npgsql;
using static Hephaestus.Data.SqlParameters;

namespace Hephaestus.Data.Analytics;

public enum ItemAnalysisOutcome
{
    Found,
    AssessmentNotFound,

    /// <summary>No such cohort, or one the actor may not analyse (an educator's cohorts only).</summary>
    CohortNotFound,
}

/// <summary>An item version as the analysis names it: its item and version number, type, points, and the content version its stem came from.</summary>
public sealed record AnalysedItem(Guid ItemVersionId, Guid ItemId, int Version, string Type, decimal Points, Guid? StemContentVersionId, int? Options);

/// <summary>
/// An assessment's item analysis: its attempt policy (which decides the attempts counted), the cohort it is limited to,
/// whether the moment figures came from the live running sums (all learners) or from the attempts (a cohort), the report
/// and the items it names.
/// </summary>
public sealed record ItemAnalysis(Guid AssessmentId, string AttemptPolicy, Guid? CohortId, bool FromRunningSums, ItemAnalysisReport Report,
    IReadOnlyDictionary<Guid, AnalysedItem> Items);

public sealed record ItemAnalysisResult(ItemAnalysisOutcome Outcome, ItemAnalysis? Analysis = null);

/// <summary>One item version's 2PL calibration, with its item.</summary>
public sealed record CalibratedItem(AnalysedItem Item, IrtItem Fit);

public sealed record Calibration(Guid AssessmentId, string AttemptPolicy, Guid? CohortId, int Persons, IrtFit Fit, IReadOnlyList<CalibratedItem> Items);

public sealed record CalibrationResult(ItemAnalysisOutcome Outcome, Calibration? Calibration = null);

/// <summary>A wrong response to an item version (normalized for its type; null: not answered), how often, and its share of the counted answers.</summary>
public sealed record WrongResponse(string? Response, long Count, double Share);

public sealed record WrongResponses(Guid AssessmentId, Guid ItemVersionId, Guid? CohortId, long Answered, IReadOnlyList<WrongResponse> Responses);

public sealed record WrongResponsesResult(ItemAnalysisOutcome Outcome, WrongResponses? Responses = null);

/// <summary>
/// Item analysis of an assessment (Moodle's statistics, 2PL calibration, common wrong responses) over the attempts its
/// policy counts (<c>item_analysis_attempts</c>, kept by the learner record). For everyone, the moment figures come from
/// the running sums (a read of a few rows per item); median and discriminative efficiency need the attempts in order, so
/// they read the assessment's counted attempts once. For a cohort, everything comes from its learners' attempts.
/// Reads run as the actor: analysts and admins read every learner's marks, educators their cohorts'.
/// </summary>
public static partial class ItemAnalysisStore
{
    const string Policy = "SELECT attempt_policy FROM hephaestus.assessments WHERE id = $1";

    const string CohortLearners = "SELECT hephaestus.item_analysis_cohort($1)";

    const string TestSumsSql = """
        SELECT coalesce(sum(n), 0)::bigint, coalesce(sum(sum_t), 0), coalesce(sum(sum_t2), 0), coalesce(sum(sum_t3), 0), coalesce(sum(sum_t4), 0),
               coalesce(sum(sum_max), 0)
        FROM hephaestus.item_analysis_test_sums WHERE assessment_id = $1
        """;

    const string ItemSumsSql = """
        SELECT slot, item_version_id, sum(n)::bigint, sum(sum_x), sum(sum_xx), sum(sum_xt), sum(sum_t), sum(sum_tt)
        FROM hephaestus.item_analysis_item_sums WHERE assessment_id = $1
        GROUP BY slot, item_version_id HAVING sum(n) > 0
        """;

    /// <summary>$1 assessment, $2 learners (null: everyone the actor may read).</summary>
    const string CountedAttemptsSql = """
        SELECT total, max_total, item_version_ids, marks FROM hephaestus.item_analysis_attempts
        WHERE assessment_id = $1 AND ($2::uuid[] IS NULL OR learner_id = ANY ($2))
        """;

    const string ItemsSql = """
        SELECT v.id, v.item_id, v.version, v.type, v.points, v.stem_content_version_id, g.options
        FROM hephaestus.item_versions v JOIN hephaestus.item_guess_shapes($1) g ON g.id = v.id
        """;

    /// <param name="orderStatistics">Also the median and discriminative efficiency (a read of the counted attempts); false: the live sums only.</param>
    public static async Task<ItemAnalysisResult> AnalyseAsync(ActorScope scope, Guid assessmentId, Guid? cohortId, bool orderStatistics, double flagBelow,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        var (outcome, policy, learners) = await ScopeAsync(scope, assessmentId, cohortId, ct);
        if (outcome != ItemAnalysisOutcome.Found) return new ItemAnalysisResult(outcome);

        ItemAnalysisSums sums;
        IReadOnlyList<CountedAttempt>? attempts = null;
        if (learners is null)
        {
            sums = await ReadSumsAsync(scope, assessmentId, ct);
            if (orderStatistics) attempts = await ReadCountedAsync(scope, assessmentId, null, ct);
        }
        else
        {
            attempts = await ReadCountedAsync(scope, assessmentId, learners, ct);
            sums = ItemAnalysisSums.Of(attempts);
        }

        var items = await ReadItemsAsync(scope, [.. sums.Items.Select(i => i.ItemVersionId).Distinct()], ct);
        var facts = items.Values.ToDictionary(i => i.ItemVersionId, i => new ItemFacts(i.ItemVersionId, i.Points, ItemStatistics.RandomGuessScore(i.Type, i.Options)));
        var order = orderStatistics && attempts is not null ? OrderStatistics.Of(attempts) : null;
        var report = ItemStatistics.Compute(sums, facts, order, flagBelow);
        return new ItemAnalysisResult(ItemAnalysisOutcome.Found, new ItemAnalysis(assessmentId, policy!, cohortId, learners is null, report, items));
    }

    /// <summary>
    /// The 2PL calibration of the assessment's item versions over the counted attempts (each a person; under the
    /// average policy a learner's attempts are several). A mark scores right when it is at least half the item's points.
    /// </summary>
    public static async Task<CalibrationResult> CalibrateAsync(ActorScope scope, Guid assessmentId, Guid? cohortId, IrtOptions options, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        var (outcome, policy, learners) = await ScopeAsync(scope, assessmentId, cohortId, ct);
        if (outcome != ItemAnalysisOutcome.Found) return new CalibrationResult(outcome);
        var attempts = await ReadCountedAsync(scope, assessmentId, learners, ct);
        var ids = attempts.SelectMany(a => a.ItemVersionIds).Distinct().Order().ToArray();
        var items = await ReadItemsAsync(scope, ids, ct);
        var index = ids.Select((id, i) => (id, i)).ToDictionary(p => p.id, p => p.i);
        var matrix = ResponseMatrix.From(ids.Length, attempts.Select(a =>
            a.ItemVersionIds.Select((id, slot) => (index[id], Dichotomous.IsRight(a.Marks[slot], items[id].Points)))));
        var fit = Irt2pl.Fit(matrix, options);
        return new CalibrationResult(ItemAnalysisOutcome.Found,
            new Calibration(assessmentId, policy!, cohortId, attempts.Count, fit, [.. fit.Items.Select(f => new CalibratedItem(items[ids[f.Index]], f))]));
    }

    /// <summary>The most common wrong responses to an item version among the counted attempts (counts only: no learner is named).</summary>
    public static async Task<WrongResponsesResult> WrongResponsesAsync(ActorScope scope, Guid assessmentId, Guid itemVersionId, Guid? cohortId, int limit,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        var (outcome, _, _) = await ScopeAsync(scope, assessmentId, cohortId, ct);
        if (outcome != ItemAnalysisOutcome.Found) return new WrongResponsesResult(outcome);
        await using var command = scope.Command("SELECT response, count, answered FROM hephaestus.item_wrong_responses($1, $2, $3, $4)");
        command.Parameters.Add(Uuid(assessmentId));
        command.Parameters.Add(Uuid(itemVersionId));
        command.Parameters.Add(NullableUuid(cohortId));
        command.Parameters.Add(Int(limit));
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = new List<(string? Response, long Count, long Answered)>();
        while (await reader.ReadAsync(ct)) rows.Add((reader.IsDBNull(0) ? null : reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2)));
        var answered = rows.Count > 0 ? rows[0].Answered : 0;
        return new WrongResponsesResult(ItemAnalysisOutcome.Found, new WrongResponses(assessmentId, itemVersionId, cohortId, answered,
            [.. rows.Select(r => new WrongResponse(r.Response, r.Count, (double)r.Count / answered))]));
    }

    /// <summary>The assessment's policy, and the cohort's learners when one is asked for (null: everyone the actor may read).</summary>
    static async Task<(ItemAnalysisOutcome Outcome, string? Policy, Guid[]? Learners)> ScopeAsync(ActorScope scope, Guid assessmentId, Guid? cohortId,
        CancellationToken ct)
    {
        await using var batch = scope.Batch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand(Policy) { Parameters = { Uuid(assessmentId) } });
        if (cohortId is { } cohort) batch.BatchCommands.Add(new NpgsqlBatchCommand(CohortLearners) { Parameters = { Uuid(cohort) } });
        await using var reader = await batch.ExecuteReaderAsync(ct);
        var policy = await reader.ReadAsync(ct) ? reader.GetString(0) : null;
        Guid[]? learners = null;
        if (cohortId is not null)
        {
            await reader.NextResultAsync(ct);
            learners = await reader.ReadAsync(ct) && !reader.IsDBNull(0) ? reader.GetFieldValue<Guid[]>(0) : null;
            if (policy is not null && learners is null) return (ItemAnalysisOutcome.CohortNotFound, policy, null);
        }

        return policy is null ? (ItemAnalysisOutcome.AssessmentNotFound, null, null) : (ItemAnalysisOutcome.Found, policy, learners);
    }

    static async Task<ItemAnalysisSums> ReadSumsAsync(ActorScope scope, Guid assessmentId, CancellationToken ct)
    {
        await using var batch = scope.Batch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand(TestSumsSql) { Parameters = { Uuid(assessmentId) } });
        batch.BatchCommands.Add(new NpgsqlBatchCommand(ItemSumsSql) { Parameters = { Uuid(assessmentId) } });
        await using var reader = await batch.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        var test = new TestSums(reader.GetInt64(0), reader.GetDecimal(1), reader.GetDecimal(2), reader.GetDecimal(3), reader.GetDecimal(4), reader.GetDecimal(5));
        await reader.NextResultAsync(ct);
        var items = new List<ItemSums>();
        while (await reader.ReadAsync(ct))
        {
            items.Add(new ItemSums(reader.GetInt32(0), reader.GetGuid(1), reader.GetInt64(2), reader.GetDecimal(3), reader.GetDecimal(4), reader.GetDecimal(5),
                reader.GetDecimal(6), reader.GetDecimal(7)));
        }

        return new ItemAnalysisSums(test, items);
    }

    static async Task<List<CountedAttempt>> ReadCountedAsync(ActorScope scope, Guid assessmentId, Guid[]? learners, CancellationToken ct)
    {
        await using var command = scope.Command(CountedAttemptsSql);
        command.Parameters.Add(Uuid(assessmentId));
        command.Parameters.Add(new NpgsqlParameter<Guid[]?> { TypedValue = learners, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Uuid });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var attempts = new List<CountedAttempt>();
        while (await reader.ReadAsync(ct))
        {
            attempts.Add(new CountedAttempt(reader.GetDecimal(0), reader.GetDecimal(1), reader.GetFieldValue<Guid[]>(2), reader.GetFieldValue<decimal[]>(3)));
        }

        return attempts;
    }

    static async Task<Dictionary<Guid, AnalysedItem>> ReadItemsAsync(ActorScope scope, Guid[] ids, CancellationToken ct)
    {
        await using var command = scope.Command(ItemsSql);
        command.Parameters.Add(Uuids(ids));
        await using var reader = await command.ExecuteReaderAsync(ct);
        var items = new Dictionary<Guid, AnalysedItem>();
        while (await reader.ReadAsync(ct))
        {
            var item = new AnalysedItem(reader.GetGuid(0), reader.GetGuid(1), reader.GetInt32(2), reader.GetString(3), reader.GetDecimal(4),
                reader.IsDBNull(5) ? null : reader.GetGuid(5), reader.IsDBNull(6) ? null : reader.GetInt32(6));
            items[item.ItemVersionId] = item;
        }

        return items;
    }
}
