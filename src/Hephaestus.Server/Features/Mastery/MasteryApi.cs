using System.Globalization;
using Hephaestus.Data;
using Hephaestus.Data.Learning;
using Hephaestus.Domain;
using Hephaestus.Domain.Mastery;
using Hephaestus.Server.Api;
using Hephaestus.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.OpenApi;
using Npgsql;

namespace Hephaestus.Server.Features.Mastery;

public sealed record MasteryResponse(Guid SkillId, string SkillCode, double? Value, string? Level, bool Mastered, int EvidenceCount,
    DateTimeOffset? LastEvidenceAt, string Method, DateTimeOffset UpdatedAt)
{
    public static MasteryResponse From(SkillMastery m)
    {
        ArgumentNullException.ThrowIfNull(m);
        return new MasteryResponse(m.SkillId, m.SkillCode, m.Value, m.Level, m.Mastered, m.EvidenceCount, m.LastEvidenceAt, m.Method, m.UpdatedAt);
    }
}

public sealed record EvidenceResponse(Guid Id, Guid SkillId, double Score, double Weight, DateTimeOffset ObservedAt, DateTimeOffset? DueAt, string Source,
    Guid? AttemptId, Guid? ResultId, Guid? ItemVersionId, Guid? RubricAssessmentId, int Sequence)
{
    public static EvidenceResponse From(EvidenceEntry e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return new EvidenceResponse(e.Id, e.SkillId, e.Score, e.Weight, e.ObservedAt, e.DueAt, e.Source, e.AttemptId, e.ResultId, e.ItemVersionId,
            e.RubricAssessmentId, e.Sequence);
    }
}

public sealed record ReplayResponse(Guid SkillId, string Method, string Ordering, MasteryParameters Parameters, double? Value, string? Level, bool Mastered,
    int EvidenceCount, double? StoredValue, string? StoredLevel, IReadOnlyList<ReplayPoint> Trajectory);

/// <summary>
/// A learner's mastery, the evidence behind it, and "what if" (<see cref="LearnerMastery"/>). Reads follow row-level
/// security: the learner, their cohorts' educators, admins; anyone else finds no such learner.
/// </summary>
public static class MasteryApi
{
    public static IEndpointRouteBuilder MapMastery(this IEndpointRouteBuilder routes)
    {
        var learners = routes.MapGroup("/api/v1/learners/{learnerId:guid}").WithTags("Mastery").RequireAuthorization(Policies.Provisioned);
        learners.MapGet("/mastery", List).WithName("ListMastery")
            .WithSummary("A learner's mastery")
            .WithDescription("Every skill with recorded mastery: value, level, mastered (by the skill's own thresholds), evidence count. The learner, their educators, admins.")
            .ProducesProblems(StatusCodes.Status404NotFound);
        learners.MapGet("/mastery/{skillId:guid}/replay", Replay).WithName("ReplayMastery")
            .WithSummary("Replay a skill's mastery (what if)")
            .WithDescription("Folds the learner's evidence for one skill under the skill's method and parameters, each overridable by a query parameter (`method`, `ordering`, `prior`, `learn`, `guess`, `slip`, `forget`, `bktMasteryThreshold`, `calculationInt`, `nMasteryCount`, `masteryPoints`); returns the value, level and trajectory beside the stored value. Nothing is written.")
            .ProducesProblems(StatusCodes.Status404NotFound)
            .WithQueryParameters(ReplayParameters());
        learners.MapGet("/evidence", Evidence).WithName("ListEvidence")
            .WithSummary("A learner's evidence")
            .WithDescription("Evidence of mastery, oldest first, optionally for one skill; keyset paged by evidence id (`after`, `limit` up to 1000).")
            .ProducesProblems(StatusCodes.Status404NotFound);
        return routes;
    }

    static async Task<Results<Ok<IReadOnlyList<MasteryResponse>>, ProblemHttpResult>> List(Guid learnerId, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var mastery = await LearnerMastery.ListAsync(db, http.RequireActor(), learnerId, ct);
        return mastery is null
            ? Problems.NotFound("learner", learnerId)
            : TypedResults.Ok<IReadOnlyList<MasteryResponse>>(mastery.Select(MasteryResponse.From).ToList());
    }

    static async Task<Results<Ok<Page<EvidenceResponse>>, ValidationProblem, ProblemHttpResult>> Evidence(
        Guid learnerId, HttpContext http, NpgsqlDataSource db, CancellationToken ct, Guid? skillId = null, int? after = null, int? limit = null)
    {
        // The cursor is an evidence id: never negative.
        var v = new Validation();
        if (after < 0) v.Add("/after", "must be 0 or more");
        var size = v.PageSize(limit, max: 1000, defaultSize: 100);
        if (!v.IsValid) return v.ToProblem();
        var page = await LearnerMastery.EvidenceAsync(db, http.RequireActor(), learnerId, skillId, after, size, ct);
        return page is null
            ? Problems.NotFound("learner", learnerId)
            : TypedResults.Ok(new Page<EvidenceResponse>(page.Items.Select(EvidenceResponse.From).ToList(), page.Next));
    }

    /// <summary>What if: the learner's evidence for one skill folded under the given method, parameters and ordering.</summary>
    static async Task<Results<Ok<ReplayResponse>, ValidationProblem, ProblemHttpResult>> Replay(Guid learnerId, Guid skillId, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var result = await LearnerMastery.ReplayAsync(db, http.RequireActor(), learnerId, skillId, defaults => ParametersFromQuery(http.Request.Query, defaults), ct);
        return result switch
        {
            { Outcome: ReplayOutcome.Done, Replay: { } r } => TypedResults.Ok(new ReplayResponse(r.SkillId, r.Parameters.Method.ToWireName(),
                r.Parameters.Ordering == EvidenceOrdering.DueTime ? "due_time" : "observed_time", r.Parameters, r.Value, r.Level, r.Mastered, r.EvidenceCount,
                r.StoredValue, r.StoredLevel, r.Trajectory)),
            { Outcome: ReplayOutcome.Invalid } => new Validation().AddRange(result.Errors!).ToProblem(),
            { Outcome: ReplayOutcome.SkillNotFound } => Problems.NotFound("skill", skillId),
            _ => Problems.NotFound("learner", learnerId),
        };
    }

    /// <summary>The query parameters <see cref="ParametersFromQuery"/> reads, for the OpenAPI document.</summary>
    static OpenApiParameter[] ReplayParameters()
    {
        static OpenApiParameter Choice(string name, IEnumerable<string> values, string description) => new()
        {
            Name = name,
            Description = description,
            Schema = new OpenApiSchema { Type = JsonSchemaType.String, Enum = [.. values.Select(v => (System.Text.Json.Nodes.JsonNode)System.Text.Json.Nodes.JsonValue.Create(v))] },
        };

        static OpenApiParameter Number(string name, JsonSchemaType type, string description) => new()
        {
            Name = name,
            Description = description + " Overrides the skill's own for this replay.",
            Schema = new OpenApiSchema { Type = type },
        };

        return
        [
            Choice("method", MasteryMethods.All.Select(m => m.ToWireName()), "The mastery method to fold the evidence with; the skill's own when left out."),
            Choice("ordering", WireNames<EvidenceOrdering>.All, "Order the evidence by observation (observed_time) or by due date (due_time)."),
            Number("prior", JsonSchemaType.Number, "BKT P(L0)."),
            Number("learn", JsonSchemaType.Number, "BKT P(T)."),
            Number("guess", JsonSchemaType.Number, "BKT P(G)."),
            Number("slip", JsonSchemaType.Number, "BKT P(S)."),
            Number("forget", JsonSchemaType.Number, "BKT P(F)."),
            Number("bktMasteryThreshold", JsonSchemaType.Number, "BKT mastery at P(L) at or above this."),
            Number("masteryPoints", JsonSchemaType.Number, "The score that counts as mastery (every method but BKT)."),
            Number("calculationInt", JsonSchemaType.Integer, "Decaying-average weight of the newest score, percent."),
            Number("nMasteryCount", JsonSchemaType.Integer, "n_mastery's N."),
        ];
    }

    /// <summary>Query parameters override the skill's own: method, ordering, and each numeric parameter by name.</summary>
    internal static (MasteryParameters Parameters, List<ValidationError> Errors) ParametersFromQuery(IQueryCollection query, MasteryParameters defaults)
    {
        var v = new List<ValidationError>();
        var p = defaults;
        if (query.TryGetValue("method", out var method))
        {
            if (MasteryMethods.TryParse(method.ToString(), out var m)) p = p with { Method = m };
            else v.Add(new ValidationError("method", $"must be one of {string.Join(", ", MasteryMethods.All.Select(x => x.ToWireName()))}"));
        }

        if (query.TryGetValue("ordering", out var ordering))
        {
            if (ordering == "observed_time") p = p with { Ordering = EvidenceOrdering.ObservedTime };
            else if (ordering == "due_time") p = p with { Ordering = EvidenceOrdering.DueTime };
            else v.Add(new ValidationError("ordering", "must be 'observed_time' or 'due_time'"));
        }

        double? Number(string name)
        {
            if (!query.TryGetValue(name, out var raw)) return null;
            if (double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)) return d;
            v.Add(new ValidationError(name, "must be a number"));
            return null;
        }

        p = p with
        {
            Prior = Number("prior") ?? p.Prior,
            Learn = Number("learn") ?? p.Learn,
            Guess = Number("guess") ?? p.Guess,
            Slip = Number("slip") ?? p.Slip,
            Forget = Number("forget") ?? p.Forget,
            MasteryPoints = Number("masteryPoints") ?? p.MasteryPoints,
            BktMasteryThreshold = Number("bktMasteryThreshold") ?? p.BktMasteryThreshold,
            CalculationInt = Number("calculationInt") is { } ci ? (int)ci : p.CalculationInt,
            NMasteryCount = Number("nMasteryCount") is { } n ? (int)n : p.NMasteryCount,
        };
        return (p, v);
    }
}
