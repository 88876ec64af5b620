using System.Globalization;

namespace Hephaestus.Domain.Paths;

/// <summary>
/// What a learner aims at on one enrollment: a goal (a step key of the path, or the code of a skill a step targets), a pace
/// (minutes a week) and a target date, as of <paramref name="Today"/> (the learner's date, from the caller's clock).
/// </summary>
public sealed record PathGoals(string? Goal, int? PaceMinutesPerWeek, DateOnly? TargetDate, DateOnly Today)
{
    /// <summary>The minutes a step counts for when the author gave no estimate.</summary>
    public const int DefaultStepMinutes = 30;
}

/// <summary>
/// What the ranking made of the goals: the steps on the way to the goal (empty when there is no goal or it names nothing in
/// the path), and the schedule (null when there is no target date): minutes of work left on the way to the goal (the
/// whole path without one) against the minutes the pace gives before the target date.
/// </summary>
public sealed record RankingBasis(IReadOnlyList<string> GoalRoute, bool GoalRecognized, int? RemainingMinutes, int? AvailableMinutes)
{
    public static readonly RankingBasis None = new([], false, null, null);

    public bool BehindSchedule => RemainingMinutes is { } remaining && AvailableMinutes is { } available && remaining > available;
}

/// <summary>Works out <see cref="RankingBasis"/>: pure, linear in the plan's size.</summary>
public static class GoalRoute
{
    /// <summary>
    /// The goal's steps (the step with that key, else every step targeting the skill with that code, compared ignoring case)
    /// and, transitively, every step they depend on (prerequisites and steps their rules name).
    /// </summary>
    public static HashSet<string> Of(string? goal, PathPlan plan, LearnerSnapshot learner)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(learner);
        var route = new HashSet<string>(StringComparer.Ordinal);
        var wanted = goal?.Trim();
        if (string.IsNullOrEmpty(wanted)) return route;
        var targets = plan.Contains(wanted)
            ? [plan[wanted]]
            : plan.Steps.Where(s => s.TargetSkills.Any(k => string.Equals(learner.SkillName(k), wanted, StringComparison.OrdinalIgnoreCase))).ToList();
        var stack = new Stack<PlannedStep>(targets);
        while (stack.Count > 0)
        {
            var step = stack.Pop();
            if (!route.Add(step.Key)) continue;
            foreach (var dependency in plan.DependenciesOf(step)) stack.Push(plan[dependency]);
        }

        return route;
    }

    public static RankingBasis Basis(PathGoals? goals, PathPlan plan, LearnerSnapshot learner)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(learner);
        if (goals is null) return RankingBasis.None;
        var route = Of(goals.Goal, plan, learner);
        if (goals.TargetDate is not { } target) return new RankingBasis([.. route], route.Count > 0, null, null);

        var remaining = plan.Steps
            .Where(s => (route.Count == 0 || route.Contains(s.Key)) && !learner.StateOf(s.Key).Status.IsDone())
            .Sum(s => s.EstimatedMinutes ?? PathGoals.DefaultStepMinutes);
        var daysLeft = Math.Max(0, target.DayNumber - goals.Today.DayNumber);
        // No pace and a date still ahead: nothing to compare with, so no schedule; a date passed leaves no time at any pace.
        int? available = goals.PaceMinutesPerWeek is { } pace ? (int)Math.Min(int.MaxValue, (long)pace * daysLeft / 7) : daysLeft == 0 ? 0 : null;
        return new RankingBasis([.. route], route.Count > 0, available is null ? null : remaining, available);
    }

    internal static string ScheduleReason(RankingBasis basis, PathGoals goals) => string.Create(CultureInfo.InvariantCulture,
        $"behind schedule: about {basis.RemainingMinutes} min of {(basis.GoalRecognized ? "work toward your goal" : "work")} left and {basis.AvailableMinutes} min at your pace before {goals.TargetDate:yyyy-MM-dd}, so steps others wait on and shorter steps come first");
}
