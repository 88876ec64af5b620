namespace Hephaestus.Data;

/// <summary>
/// One step of the schema's history: its id (the row it writes in the history table) and the embedded Sql/*.sql files
/// it runs, in order, to go up and to go back down.
/// </summary>
public sealed record SchemaMigration(string Id, IReadOnlyList<string> Up, IReadOnlyList<string> Down);

/// <summary>
/// The one ordered history of the schema. A schema change is a new file Sql/NNNN_name.sql (with its revert,
/// Sql/&lt;id&gt;.down.sql) in a new migration appended here; a shipped file or migration is never edited
/// (Sql/checksums.sha256 and its test hold that). Ids sort in order: a UTC timestamp, then a name.
/// </summary>
public static class SchemaMigrations
{
    /// <summary>
    /// The first four ids are those of the EF Core migrations that created these databases, so a database migrated by
    /// EF Core reads as current. Their Up files run in the order the EF migrations ran their SQL and operations.
    /// </summary>
    public static readonly IReadOnlyList<SchemaMigration> All =
    [
        new("20261125045950_Identity",
            Up: ["0001_roles_and_actor.sql", "0001a_identity_tables.sql", "0002_identity_security.sql"],
            Down: ["20261125045950_Identity.down.sql"]),
        new("20261125051500_CompetenciesAndPaths",
            Up: ["0003_competencies.sql", "0004_learning_paths.sql"],
            Down: ["20261125051500_CompetenciesAndPaths.down.sql"]),
        new("20261125063000_Assessments",
            Up: ["0007_assessments.sql"],
            Down: ["20261125063000_Assessments.down.sql"]),
        new("20261125140000_CompetencyCatalog",
            Up: ["0008_competency_catalog.sql"],
            Down: ["20261125140000_CompetencyCatalog.down.sql"]),
        new("20261201210000_DefenceInDepth",
            Up: ["0009_defence_in_depth.sql"],
            Down: ["20261201210000_DefenceInDepth.down.sql"]),
        new("20261201210100_ErasureOfAuthorship",
            Up: ["0010_erasure_of_authorship.sql"],
            Down: ["20261201210100_ErasureOfAuthorship.down.sql"]),
        new("20261201210200_AttemptPolicyAndStepRefs",
            Up: ["0011_attempt_policy_and_step_refs.sql"],
            Down: ["20261201210200_AttemptPolicyAndStepRefs.down.sql"]),
        new("20261201210300_ResultsReads",
            Up: ["0012_results_reads.sql"],
            Down: ["20261201210300_ResultsReads.down.sql"]),
        new("20261201210400_TextLimits",
            Up: ["0013_text_limits.sql"],
            Down: ["20261201210400_TextLimits.down.sql"]),
        new("20261201210500_BankBrowseAndWindows",
            Up: ["0014_bank_browse_and_windows.sql"],
            Down: ["20261201210500_BankBrowseAndWindows.down.sql"]),
        new("20261201210600_LearnerConveniences",
            Up: ["0015_learner_conveniences.sql"],
            Down: ["20261201210600_LearnerConveniences.down.sql"]),
        new("20261201223000_ItemPromptSearch",
            Up: ["0016_item_prompt_search.sql"],
            Down: ["20261201223000_ItemPromptSearch.down.sql"]),
        new("20261202000100_Imports",
            Up: ["0017_imports.sql"],
            Down: ["20261202000100_Imports.down.sql"]),
        new("20261202000300_Content",
            Up: ["0019_content.sql"],
            Down: ["20261202000300_Content.down.sql"]),
        new("20261202000400_ContentDelivery",
            Up: ["0020_content_delivery.sql"],
            Down: ["20261202000400_ContentDelivery.down.sql"]),
        new("20261202000500_ContentReview",
            Up: ["0021_content_review.sql"],
            Down: ["20261202000500_ContentReview.down.sql"]),
        new("20261202000600_ContentSearch",
            Up: ["0022_content_search.sql"],
            Down: ["20261202000600_ContentSearch.down.sql"]),
        new("20261202010000_Events",
            Up: ["0023_events.sql"],
            Down: ["20261202010000_Events.down.sql"]),
        new("20261202010100_XapiStatements",
            Up: ["0024_xapi_statements.sql"],
            Down: ["20261202010100_XapiStatements.down.sql"]),
        new("20261202010200_XapiDocuments",
            Up: ["0025_xapi_documents.sql"],
            Down: ["20261202010200_XapiDocuments.down.sql"]),
        new("20261202010300_ItemAnalysis",
            Up: ["0026_item_analysis.sql"],
            Down: ["20261202010300_ItemAnalysis.down.sql"]),
        new("20261202010400_Analytics",
            Up: ["0027_analytics.sql"],
            Down: ["20261202010400_Analytics.down.sql"]),
        new("20261202010500_EventEffects",
            Up: ["0028_event_effects.sql"],
            Down: ["20261202010500_EventEffects.down.sql"]),
        new("20261202010600_ContentSearchPlans",
            Up: ["0029_content_search_plans.sql"],
            Down: ["20261202010600_ContentSearchPlans.down.sql"]),
        new("20261202010700_AnalyticsPerformance",
            Up: ["0030_analytics_performance.sql"],
            Down: ["20261202010700_AnalyticsPerformance.down.sql"]),
        new("20261202010800_AnalyticsEffectiveness",
            Up: ["0031_analytics_effectiveness.sql"],
            Down: ["20261202010800_AnalyticsEffectiveness.down.sql"]),
        new("20261202010900_EventsGaps",
            Up: ["0032_events_gaps.sql"],
            Down: ["20261202010900_EventsGaps.down.sql"]),
        new("20261202011000_CitusReady",
            Up: ["0033_citus_ready.sql"],
            Down: ["20261202011000_CitusReady.down.sql"]),
        new("20261202011100_WebSignIn",
            Up: ["0034_web_sign_in.sql"],
            Down: ["20261202011100_WebSignIn.down.sql"]),
        new("20261202120100_SubmissionCost",
            Up: ["0036_submission_cost.sql"],
            Down: ["20261202120100_SubmissionCost.down.sql"]),
    ];
}
