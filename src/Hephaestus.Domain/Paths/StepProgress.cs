using System.Globalization;

namespace Hephaestus.Domain.Paths;

/// <summary>
/// A skill as a plan knows it: its code (for explanations), its scale's level names by rank, and the rank of the scale's
/// mastery level.
/// </summary>
public sealed record PlanSkill(string Code, IReadOnlyList<string> Levels, int MasteryRank);

/// <summary>A learner's state on one step, as stored.</summary>
public sealed record LearnerStepState(StepStatus Status, string? Reason, double? Score);

/// <summary>A learner's mastery of one skill, as stored (value null: no evidence).</summary>
public sealed record SkillMasterySnapshot(int? LevelRank, double? Value, bool Mastered);

/// <summary>
/// Everything the progress engine knows about one learner on one enrollment: mastery of the plan's skills, the levels of
/// their scales, the state of every step, and the steps an educator unlocked. Built from one round trip of reads;
/// evaluated in memory.
/// </summary>
public sealed class LearnerSnapshot(
    IReadOnlyDictionary<Guid, SkillMasterySnapshot> mastery,
    IReadOnlyDictionary<Guid, PlanSkill> skills,
    Dictionary<string, LearnerStepState> steps,
    IReadOnlyCollection<string>? unlocked = null) : ILearnerProgressView
{
    /// <summary>An educator opened this step: it is available whatever its prerequisites and rule say.</summary>
    public bool IsUnlocked(string key) => unlocked?.Contains(key, StringComparer.Ordinal) == true;

    public IReadOnlyDictionary<string, LearnerStepState> Steps => steps;

    public LearnerStepState StateOf(string key) => steps.TryGetValue(key, out var s) ? s : new LearnerStepState(StepStatus.Locked, null, null);

    public void Set(string key, LearnerStepState state) => steps[key] = state;

    public (int? LevelRank, double? Value) Mastery(Guid skill) =>
        mastery.TryGetValue(skill, out var m) ? (m.LevelRank, m.Value) : (null, null);

    public SkillMasterySnapshot? MasteryOf(Guid skill) => mastery.GetValueOrDefault(skill);

    public bool IsMastered(Guid skill) => mastery.TryGetValue(skill, out var m) && m.Mastered;

    public int? LevelRank(Guid skill, string level)
    {
        if (!skills.TryGetValue(skill, out var s)) return null;
        for (var i = 0; i < s.Levels.Count; i++)
        {
            if (string.Equals(s.Levels[i], level, StringComparison.Ordinal)) return i;
        }

        return null;
    }

    public int? MasteryRank(Guid skill) => skills.TryGetValue(skill, out var s) ? s.MasteryRank : null;

    public string? LevelName(Guid skill, int rank) =>
        skills.TryGetValue(skill, out var s) && rank >= 0 && rank < s.Levels.Count ? s.Levels[rank] : null;

    public double? Score(string stepKey) => steps.TryGetValue(stepKey, out var s) ? s.Score : null;

    public bool IsDone(string stepKey) => steps.TryGetValue(stepKey, out var s) && s.Status.IsDone();

    public string SkillName(Guid skill) => skills.TryGetValue(skill, out var s) ? s.Code : skill.ToString();
}

/// <summary>A step whose stored status must change.</summary>
public sealed record StepTransition(string Key, StepStatus From, StepStatus To, string? Reason);

/// <summary>An available (or started) step in ranked order, with why it is where it is.</summary>
public sealed record RankedStep(PlannedStep Step, StepStatus Status, IReadOnlyList<string> Reasons);

/// <summary>A locked step and every condition that still holds it.</summary>
public sealed record LockedStep(PlannedStep Step, IReadOnlyList<string> Conditions);

/// <param name="Locked">The first locked steps in path order (up to the limit asked), with their conditions.</param>
/// <param name="LockedTotal">How many steps are locked in all.</param>
/// <param name="Basis">What the goal, pace and target date came to (<see cref="RankingBasis.None"/> without them).</param>
public sealed record NextSteps(IReadOnlyList<RankedStep> Available, IReadOnlyList<LockedStep> Locked, int LockedTotal, int Done, int Total, RankingBasis Basis);

/// <summary>
/// Step status rules. Completed and skipped are final (only an educator's un-skip reopens a step). A skill step completes
/// when its skill is mastered, wherever the evidence came from. A started step stays started. A step an educator unlocked
/// stays available. Every other step is available when its prerequisites are done and its unlock rule holds, and locked otherwise, with the unmet
/// conditions as its reason; this is recomputed on every change, so a lowered score can lock a step again.
/// </summary>
public static class StepProgress
{
    /// <summary>The reason an educator's unlock leaves on a step (the override's own reason is in the audit log).</summary>
    public const string UnlockedReason = "unlocked by an educator";

    /// <summary>Placement at enrollment: steps whose target skills the learner already masters are skipped.</summary>
    /// <summary>An enrollment is complete when every step of its plan (inserted steps included) is done.</summary>
    public static bool AllDone(PathPlan plan, LearnerSnapshot learner)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(learner);
        return plan.Steps.All(s => learner.StateOf(s.Key).Status.IsDone());
    }

    public static IReadOnlyList<StepTransition> Place(PathPlan plan, LearnerSnapshot learner)
    {
        var placed = new List<StepTransition>();
        foreach (var step in plan.Steps)
        {
            var current = learner.StateOf(step.Key);
            if (current.Status.IsDone() || step.TargetSkills.Count == 0 || !step.TargetSkills.All(learner.IsMastered)) continue;
            var reason = "placement: already masters " + string.Join(", ", step.TargetSkills.Select(learner.SkillName));
            learner.Set(step.Key, current with { Status = StepStatus.Skipped, Reason = reason });
            placed.Add(new StepTransition(step.Key, current.Status, StepStatus.Skipped, reason));
        }

        return placed;
    }

    /// <summary>
    /// Brings every step's status up to date, in place on <paramref name="learner"/>, and returns what changed. Runs to a
    /// fixed point: a skill step completed by mastery can make its dependents available in the same evaluation.
    /// </summary>
    public static IReadOnlyList<StepTransition> Evaluate(PathPlan plan, LearnerSnapshot learner)
    {
        var original = plan.Steps.ToDictionary(s => s.Key, s => learner.StateOf(s.Key), StringComparer.Ordinal);
        for (var pass = 0; pass <= plan.Steps.Count; pass++)
        {
            var changed = false;
            foreach (var step in plan.Steps)
            {
                var current = learner.StateOf(step.Key);
                var (status, reason) = Next(step, current, plan, learner);
                if (status == current.Status && reason == current.Reason) continue;
                learner.Set(step.Key, current with { Status = status, Reason = reason });
                changed = true;
            }

            if (!changed) break;
        }

        return [.. plan.Steps
            .Select(s => (s.Key, Before: original[s.Key], After: learner.StateOf(s.Key)))
            .Where(x => x.Before.Status != x.After.Status || x.Before.Reason != x.After.Reason)
            .Select(x => new StepTransition(x.Key, x.Before.Status, x.After.Status, x.After.Reason))];
    }

    static (StepStatus Status, string? Reason) Next(PlannedStep step, LearnerStepState current, PathPlan plan, LearnerSnapshot learner)
    {
        if (current.Status.IsDone()) return (current.Status, current.Reason);
        if (step.Kind == StepKind.Skill && step.TargetSkills.Count > 0 && step.TargetSkills.All(learner.IsMastered))
        {
            return (StepStatus.Completed, "mastered " + string.Join(", ", step.TargetSkills.Select(learner.SkillName)));
        }

        if (current.Status == StepStatus.InProgress) return (current.Status, current.Reason);
        if (learner.IsUnlocked(step.Key)) return (StepStatus.Available, current.Status == StepStatus.Available ? current.Reason : UnlockedReason);
        var unmet = UnmetConditions(step, plan, learner);
        return unmet.Count == 0 ? (StepStatus.Available, null) : (StepStatus.Locked, string.Join("; ", unmet));
    }

    /// <summary>Why a step is not (yet) open: unfinished prerequisites first, then the unmet parts of its rule.</summary>
    public static List<string> UnmetConditions(PlannedStep step, PathPlan plan, ILearnerProgressView learner)
    {
        var unmet = step.Prerequisites.Where(k => plan.Contains(k) && !learner.IsDone(k)).Select(k => $"step {k} not completed").ToList();
        if (step.Rule is { } rule) unmet.AddRange(UnlockRuleEvaluator.Evaluate(rule, learner).UnmetConditions);
        return unmet;
    }

    /// <summary>
    /// The next best steps, in this order: educator inserts; remediation a score unlocked (a step whose rule holds through a
    /// score range below the top one); steps on the way to the learner's goal (<see cref="GoalRoute"/>); then, when behind
    /// schedule (<see cref="RankingBasis.BehindSchedule"/>), steps that many unfinished later steps wait on and then the
    /// shortest, otherwise steps whose unmet target skills are weakest and then steps many others wait on; then started
    /// steps; then path order. Each step's reasons say which of these put it there. Locked steps come back with the
    /// conditions that hold them; conditions (rule evaluation and wording) are worked out only for the first
    /// <paramref name="lockedLimit"/> locked steps, the ones that will be shown.
    /// </summary>
    public static NextSteps Rank(PathPlan plan, LearnerSnapshot learner, int lockedLimit = int.MaxValue, PathGoals? goals = null)
    {
        var basis = GoalRoute.Basis(goals, plan, learner);
        var route = basis.GoalRoute.ToHashSet(StringComparer.Ordinal);
        var behind = basis.BehindSchedule;
        var lockedTotal = 0;
        var open = new List<(RankedStep Step, double Weakest, int Unlocks, bool Remediation, bool OnRoute)>();
        var locked = new List<LockedStep>();
        var done = 0;
        foreach (var step in plan.Steps)
        {
            var state = learner.StateOf(step.Key);
            if (state.Status.IsDone())
            {
                done++;
                continue;
            }

            if (state.Status == StepStatus.Locked)
            {
                if (lockedTotal++ >= lockedLimit) continue;
                var conditions = UnmetConditions(step, plan, learner);
                locked.Add(new LockedStep(step, conditions.Count > 0 ? conditions : [state.Reason ?? "locked"]));
                continue;
            }

            var reasons = new List<string>();
            if (step.InsertedByEducator) reasons.Add("inserted for you by an educator");
            if (learner.IsUnlocked(step.Key)) reasons.Add(UnlockedReason);
            var remediation = RemediationReason(step, learner);
            if (remediation is not null) reasons.Add(remediation);
            var onRoute = route.Contains(step.Key);
            if (onRoute) reasons.Add($"on the way to your goal '{goals!.Goal!.Trim()}'");
            else if (basis.GoalRecognized) reasons.Add($"not needed for your goal '{goals!.Goal!.Trim()}'");
            if (behind) reasons.Add(GoalRoute.ScheduleReason(basis, goals!));
            if (state.Status == StepStatus.InProgress) reasons.Add("already started");
            var weakest = double.PositiveInfinity;
            foreach (var skill in step.TargetSkills.Where(s => !learner.IsMastered(s)))
            {
                var m = learner.MasteryOf(skill);
                var value = m?.Value ?? 0;
                weakest = Math.Min(weakest, value);
                reasons.Add(m?.Value is { } v
                    ? string.Create(CultureInfo.InvariantCulture, $"works on {learner.SkillName(skill)}, not yet mastered ({v:0.00}{LevelSuffix(learner, skill, m.LevelRank)})")
                    : $"works on {learner.SkillName(skill)}, no evidence yet");
            }

            var unlocks = plan.DependentsOf(step.Key).Count(i => !learner.StateOf(plan.Steps[i].Key).Status.IsDone());
            if (unlocks > 0) reasons.Add(unlocks == 1 ? "1 later step waits on it" : $"{unlocks} later steps wait on it");
            if (reasons.Count == 0) reasons.Add("next in path order");
            open.Add((new RankedStep(step, state.Status, reasons), weakest, unlocks, remediation is not null, onRoute));
        }

        var ranked = open
            .OrderByDescending(o => o.Step.Step.InsertedByEducator)
            .ThenByDescending(o => o.Remediation)
            .ThenByDescending(o => o.OnRoute)
            .ThenByDescending(o => behind ? o.Unlocks : 0)
            .ThenBy(o => behind ? o.Step.Step.EstimatedMinutes ?? PathGoals.DefaultStepMinutes : 0)
            .ThenBy(o => o.Weakest)
            .ThenByDescending(o => o.Unlocks)
            .ThenByDescending(o => o.Step.Status == StepStatus.InProgress)
            .ThenBy(o => o.Step.Step.Position)
            .Select(o => o.Step)
            .ToList();
        return new NextSteps(ranked, locked, lockedTotal, done, plan.Steps.Count, basis);
    }

    /// <summary>
    /// Why an open step is remediation: its rule holds through a score range below the top one (Canvas Mastery Paths' lower
    /// ranges route a weak score to review). Null when it is not.
    /// </summary>
    static string? RemediationReason(PlannedStep step, LearnerSnapshot learner)
    {
        if (step.Rule is null) return null;
        foreach (var rule in step.Rule.Descendants())
        {
            if (rule is ScoreInRange { IsTopRange: false } range && learner.Score(range.Step) is { } score && range.Contains(score))
            {
                return string.Create(CultureInfo.InvariantCulture, $"remediation: your score of {score:0.##} on {range.Step} unlocked it");
            }
        }

        return null;
    }

    static string LevelSuffix(LearnerSnapshot learner, Guid skill, int? rank) =>
        rank is { } r && learner.LevelName(skill, r) is { } name ? ", " + name : "";
}
