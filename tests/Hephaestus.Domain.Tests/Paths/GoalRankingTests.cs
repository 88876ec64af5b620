using Hephaestus.Domain.Paths;

namespace Hephaestus.Domain.Tests.Paths;

public class GoalRankingTests
{
    static readonly Guid A = Guid.Parse("00000000-0000-0000-0000-00000000000a");
    static readonly Guid B = Guid.Parse("00000000-0000-0000-0000-00000000000b");
    static readonly string[] Levels = ["not_started", "attempted", "familiar", "proficient", "mastered"];
    static readonly DateOnly Today = new(2026, 12, 1);

    static PlannedStep Content(string key, double position, int? minutes = null, UnlockRule? rule = null, params string[] prerequisites) =>
        new(key, StepKind.Content, Guid.NewGuid(), key, position, [], rule, prerequisites, EstimatedMinutes: minutes);

    static PlannedStep Skill(string key, Guid skill, double position, int? minutes = null, params string[] prerequisites) =>
        new(key, StepKind.Skill, skill, key, position, [skill], null, prerequisites, EstimatedMinutes: minutes);

    static LearnerSnapshot Learner(Dictionary<Guid, SkillMasterySnapshot>? mastery = null, Dictionary<string, LearnerStepState>? steps = null) =>
        new(mastery ?? [], new Dictionary<Guid, PlanSkill> { [A] = new("alg.a", Levels, 4), [B] = new("alg.b", Levels, 4) },
            steps ?? new Dictionary<string, LearnerStepState>(StringComparer.Ordinal));

    static string[] Order(NextSteps next) => [.. next.Available.Select(s => s.Step.Key)];

    [Fact]
    public void Remediation_a_low_score_unlocked_ranks_before_advanced_work_and_says_why()
    {
        var quiz = new PlannedStep("quiz", StepKind.Assessment, Guid.NewGuid(), "quiz", 0, [], null, []);
        // "advanced" waits on nothing else and many steps would wait on it; "review" is the low range's remediation.
        var plan = new PathPlan([quiz, Content("advanced", 1, rule: new ScoreInRange("quiz", 0.7, null)), Content("review", 2, rule: new ScoreInRange("quiz", 0, 0.7)),
            Content("open", 3), Content("later", 4, null, null, "advanced")]);
        var learner = Learner(steps: new(StringComparer.Ordinal) { ["quiz"] = new(StepStatus.Completed, null, 0.45) });
        StepProgress.Evaluate(plan, learner);

        var next = StepProgress.Rank(plan, learner);

        Assert.Equal("review", next.Available[0].Step.Key);
        Assert.Contains("remediation: your score of 0.45 on quiz unlocked it", next.Available[0].Reasons);
        Assert.DoesNotContain(next.Available.Skip(1), s => s.Reasons.Any(r => r.StartsWith("remediation", StringComparison.Ordinal)));

        // A top-range score unlocks the advanced step, which is not remediation.
        learner.Set("quiz", new LearnerStepState(StepStatus.Completed, null, 0.9));
        StepProgress.Evaluate(plan, learner);
        next = StepProgress.Rank(plan, learner);
        Assert.Equal(["advanced", "open"], Order(next));
        Assert.DoesNotContain(next.Available, s => s.Reasons.Any(r => r.StartsWith("remediation", StringComparison.Ordinal)));
    }

    [Fact]
    public void Steps_on_the_way_to_the_goal_rank_first_whether_the_goal_names_a_step_or_a_skill_code()
    {
        // Two open branches; the goal "target" needs "prep-b" (a prerequisite) and "b" (named by its rule).
        var plan = new PathPlan([
            Content("side", 0), Content("prep-b", 1), Skill("b", B, 2), Content("target", 3, null, new StepsCompleted(["b"]), "prep-b"), Skill("a", A, 4)]);
        var learner = Learner(new() { [A] = new(1, 0.1, false), [B] = new(3, 0.8, false) });
        StepProgress.Evaluate(plan, learner);

        var without = StepProgress.Rank(plan, learner, goals: new PathGoals(null, null, null, Today));
        Assert.Equal("a", without.Available[0].Step.Key); // weakest skill first without a goal
        Assert.Equal(RankingBasis.None.GoalRoute, without.Basis.GoalRoute);

        var byStep = StepProgress.Rank(plan, learner, goals: new PathGoals("target", null, null, Today));
        Assert.Equal(["b", "prep-b", "a", "side"], Order(byStep));
        Assert.Contains("on the way to your goal 'target'", byStep.Available[0].Reasons);
        Assert.Contains("not needed for your goal 'target'", byStep.Available[2].Reasons);
        Assert.Equal(["b", "prep-b", "target"], byStep.Basis.GoalRoute.Order(StringComparer.Ordinal).ToArray());

        var bySkill = StepProgress.Rank(plan, learner, goals: new PathGoals(" ALG.A ", null, null, Today));
        Assert.Equal("a", bySkill.Available[0].Step.Key);
        Assert.Contains("on the way to your goal 'ALG.A'", bySkill.Available[0].Reasons);
        Assert.True(bySkill.Basis.GoalRecognized);
    }

    [Fact]
    public void A_goal_that_names_nothing_in_the_path_changes_nothing()
    {
        var plan = new PathPlan([Content("x", 0), Skill("a", A, 1)]);
        var learner = Learner(new() { [A] = new(1, 0.1, false) });
        StepProgress.Evaluate(plan, learner);

        var plain = StepProgress.Rank(plan, learner);
        var withGoal = StepProgress.Rank(plan, learner, goals: new PathGoals("pass the exam", null, null, Today));

        Assert.Equal(Order(plain), Order(withGoal));
        Assert.False(withGoal.Basis.GoalRecognized);
        Assert.Equal(plain.Available.Select(s => s.Reasons.Count), withGoal.Available.Select(s => s.Reasons.Count));
    }

    [Fact]
    public void Behind_schedule_puts_steps_others_wait_on_then_shorter_steps_first_and_every_step_says_so()
    {
        // "weak" works on a weak skill (first when on schedule); "hub" opens two steps; "quick" is short.
        var plan = new PathPlan([
            Skill("weak", A, 0, 120), Content("hub", 1, 60), Content("quick", 2, 10), Content("long", 3, 90),
            Content("after-1", 4, 30, null, "hub"), Content("after-2", 5, null, null, "hub")]);
        var learner = Learner(new() { [A] = new(1, 0.1, false) });
        StepProgress.Evaluate(plan, learner);

        // Remaining: 120 + 60 + 10 + 90 + 30 + 30 (no estimate) = 340 min. Two weeks at 200 min a week: 400, on schedule.
        var onTime = StepProgress.Rank(plan, learner, goals: new PathGoals(null, 200, Today.AddDays(14), Today));
        Assert.Equal(340, onTime.Basis.RemainingMinutes);
        Assert.Equal(400, onTime.Basis.AvailableMinutes);
        Assert.False(onTime.Basis.BehindSchedule);
        Assert.Equal(["weak", "hub", "quick", "long"], Order(onTime));
        Assert.DoesNotContain(onTime.Available, s => s.Reasons.Any(r => r.StartsWith("behind", StringComparison.Ordinal)));

        // One week at 200 min: behind.
        var late = StepProgress.Rank(plan, learner, goals: new PathGoals(null, 200, Today.AddDays(7), Today));
        Assert.True(late.Basis.BehindSchedule);
        Assert.Equal(["hub", "quick", "long", "weak"], Order(late));
        Assert.All(late.Available, s => Assert.Contains(
            "behind schedule: about 340 min of work left and 200 min at your pace before 2026-12-08, so steps others wait on and shorter steps come first", s.Reasons));
    }

    [Fact]
    public void The_schedule_counts_only_the_work_toward_the_goal_and_a_passed_date_leaves_no_time()
    {
        var plan = new PathPlan([Content("prep", 0, 40), Content("goal", 1, 20, null, "prep"), Content("extra", 2, 500)]);
        var learner = Learner(steps: new(StringComparer.Ordinal) { ["prep"] = new(StepStatus.Completed, null, null) });
        StepProgress.Evaluate(plan, learner);

        var basis = GoalRoute.Basis(new PathGoals("goal", 60, Today.AddDays(7), Today), plan, learner);
        Assert.Equal(20, basis.RemainingMinutes); // prep is done, extra is not on the way
        Assert.Equal(60, basis.AvailableMinutes);
        Assert.False(basis.BehindSchedule);

        var passed = GoalRoute.Basis(new PathGoals(null, null, Today.AddDays(-1), Today), plan, learner);
        Assert.Equal(0, passed.AvailableMinutes);
        Assert.True(passed.BehindSchedule);

        // A date ahead without a pace: nothing to compare with.
        var noPace = GoalRoute.Basis(new PathGoals(null, null, Today.AddDays(3), Today), plan, learner);
        Assert.Null(noPace.AvailableMinutes);
        Assert.False(noPace.BehindSchedule);
    }

    [Fact]
    public void A_step_an_educator_unlocked_stays_available_whatever_its_conditions_and_says_so()
    {
        var plan = new PathPlan([Content("first", 0), Content("gated", 1, null, null, "first")]);
        var locked = Learner();
        StepProgress.Evaluate(plan, locked);
        Assert.Equal(StepStatus.Locked, locked.StateOf("gated").Status);

        var unlocked = new LearnerSnapshot(new Dictionary<Guid, SkillMasterySnapshot>(), new Dictionary<Guid, PlanSkill>(),
            new Dictionary<string, LearnerStepState>(StringComparer.Ordinal), ["gated"]);
        StepProgress.Evaluate(plan, unlocked);
        Assert.Equal(StepStatus.Available, unlocked.StateOf("gated").Status);
        Assert.Equal(StepProgress.UnlockedReason, unlocked.StateOf("gated").Reason);
        Assert.Contains(StepProgress.UnlockedReason, StepProgress.Rank(plan, unlocked).Available.Single(s => s.Step.Key == "gated").Reasons);
    }
}
