using Hephaestus.Data.Events;
using Hephaestus.Data.Learning;

namespace Hephaestus.Server.Features.Events;

/// <summary>
/// The effects of stored events, read from configuration once at start: <c>Events:Evidence</c> (Verbs, ScaledMapping
/// ClampNegative|Linear, SuccessScore, FailureScore, AlignmentRefreshSeconds) and <c>Events:Content</c> (Verbs,
/// ActivityHome). docs/architecture.md ("Events: evidence and export") describes them.
/// </summary>
public static class EventRules
{
    public static EventEffectsRules From(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var evidence = configuration.GetSection("Events:Evidence");
        var content = configuration.GetSection("Events:Content");
        var defaults = new EventEffectsRules();
        return new EventEffectsRules
        {
            EvidenceVerbs = evidence.GetSection("Verbs").Get<string[]>() ?? defaults.EvidenceVerbs,
            ScaledMapping = evidence.GetValue("ScaledMapping", defaults.ScaledMapping),
            SuccessScore = ScoreOrNull(evidence, "SuccessScore"),
            FailureScore = ScoreOrNull(evidence, "FailureScore"),
            ContentVerbs = content.GetSection("Verbs").Get<string[]>() ?? defaults.ContentVerbs,
            ActivityHome = content["ActivityHome"] is { Length: > 0 } home ? home : null,
        };
    }

    static double? ScoreOrNull(IConfigurationSection section, string key)
    {
        var value = section.GetValue<double?>(key);
        return value is null or (>= 0 and <= 1)
            ? value
            : throw new InvalidOperationException($"Events:Evidence:{key} must lie between 0 and 1 (it is {value}).");
    }

    /// <summary>
    /// The alignments' cache and the rules, one each per process, attached to the process's learner record, through which
    /// both doors apply what stored events do (this registration of the learner record replaces the plain one).
    /// </summary>
    public static IServiceCollection AddEventEffects(this IServiceCollection services, IConfiguration configuration)
    {
        var refresh = TimeSpan.FromSeconds(configuration.GetValue("Events:Evidence:AlignmentRefreshSeconds", 30));
        var alignments = new ActivityAlignments(refresh);
        var rules = From(configuration);
        services.AddSingleton(alignments);
        services.AddSingleton(rules);
        services.AddSingleton(sp =>
        {
            var learning = new LearnerRecord(sp.GetRequiredService<PlanCache>());
            EventEffects.Attach(learning, rules, alignments);
            return learning;
        });
        return services;
    }
}
