using Hephaestus.Domain.Paths;

namespace Hephaestus.Domain.Tests.Paths;

public class StepProgressTests
{
    static readonly Guid A = Guid.Parse("00000000-0000-0000-0000-00000000000a");
    static readonly Guid B = Guid.Parse("00000000-0000-0000-0000-00000000000b");
    static readonly Guid C = Guid.Parse("00000000-0000-0000-0000-00000000000c");
    static readonly string[] Levels = ["not_started", "attempted", "familiar", "proficient", "mastered"];

    static PlannedStep Skill(string key, Guid skill, double position, params string[] prerequisites) =>
        new(key, StepKind.Skill, skill, key, position, [skill], null, prerequisites);

    static PlannedStep Content(string key, double position, UnlockRule? rule = null, params string[] prerequisites) =>
        new(key, StepKind.Content, Guid.NewGuid(), key, position, [], rule, prerequisites);

    static LearnerSnapshot Learner(Dictionary<Guid, SkillMasterySnapshot> mastery, Dictionary<string, LearnerStepState>? steps = null) =>
        new(mastery, new Dictionary<Guid, PlanSkill> { [A] = new("a", Levels, 4), [B] = new("b", Levels, 4), [C] = new("c", Levels, 4) },
            steps ?? new Dictionary<string, LearnerStepState>(StringComparer.Ordinal));

    static SkillMasterySnapshot Mastered => new(4, 0.97, true);

    [Fact]
    public void One_evaluation_runs_to_a_fixed_point_so_a_mastered_skill_opens_what_waits_on_it()
    {
        var plan = new PathPlan([Skill("a", A, 0), Skill("b", B, 1, "a"), Skill("c", C, 2, "b")]);
        var learner = Learner(new() { [A] = Mastered });

        var transitions = StepProgress.Evaluate(plan, learner);

        Assert.Equal(StepStatus.Completed, learner.StateOf("a").Status);
        Assert.Equal("mastered a", learner.StateOf("a").Reason);
        Assert.Equal(StepStatus.Available, learner.StateOf("b").Status);
        Assert.Equal(StepStatus.Locked, learner.StateOf("c").Status);
        Assert.Equal("step b not completed", learner.StateOf("c").Reason);
        Assert.Contains(transitions, t => t.Key == "a" && t.From == StepStatus.Locked && t.To == StepStatus.Completed);
        Assert.Empty(StepProgress.Evaluate(plan, learner)); // nothing left to change
    }

    [Fact]
    public void Placement_skips_only_steps_whose_every_target_skill_is_mastered()
    {
        var both = new PlannedStep("both", StepKind.Content, Guid.NewGuid(), "both", 1, [A, B], null, []);
        var plan = new PathPlan([Skill("a", A, 0), both, Content("none", 2)]);
        var learner = Learner(new() { [A] = Mastered, [B] = new(2, 0.6, false) });

        var placed = StepProgress.Place(plan, learner);

        Assert.Equal(["a"], placed.Select(p => p.Key).ToArray());
        Assert.Equal("placement: already masters a", learner.StateOf("a").Reason);
        Assert.Equal(StepStatus.Locked, learner.StateOf("both").Status);
    }

    [Fact]
    public void Done_steps_stay_done_started_steps_stay_started_and_a_lowered_score_locks_an_open_step_again()
    {
        var rule = new ScoreInRange("quiz", 0.6, null);
        var quiz = new PlannedStep("quiz", StepKind.Assessment, Guid.NewGuid(), "quiz", 0, [], null, []);
        var plan = new PathPlan([Skill("a", A, 1), quiz, Content("core", 2, rule), Content("extra", 3, rule)]);
        var steps = new Dictionary<string, LearnerStepState>(StringComparer.Ordinal)
        {
            ["a"] = new(StepStatus.Completed, "mastered a", null),
            ["quiz"] = new(StepStatus.Completed, null, 0.8),
            ["core"] = new(StepStatus.Available, null, null),
            ["extra"] = new(StepStatus.InProgress, null, null),
        };
        // Mastery of A has since decayed, and a regrade lowered the quiz score.
        var learner = Learner(new() { [A] = new(2, 0.5, false) }, steps);
        learner.Set("quiz", steps["quiz"] with { Score = 0.4 });

        StepProgress.Evaluate(plan, learner);

        Assert.Equal(StepStatus.Completed, learner.StateOf("a").Status);
        Assert.Equal(StepStatus.Locked, learner.StateOf("core").Status);
        Assert.Equal("score on step quiz is 0.4, needs score ≥ 0.6", learner.StateOf("core").Reason);
        Assert.Equal(StepStatus.InProgress, learner.StateOf("extra").Status);
    }

    [Fact]
    public void Ranking_puts_educator_inserts_first_then_weakest_skills_then_steps_many_others_wait_on()
    {
        var inserted = new PlannedStep("review", StepKind.Content, Guid.NewGuid(), "review", 10, [], null, [], InsertedByEducator: true);
        var plan = new PathPlan([
            Content("lonely", 0), Content("hub", 1), Skill("weak", B, 2), Skill("strong", C, 3),
            Content("after-1", 4, null, "hub"), Content("after-2", 5, new StepsCompleted(["hub"])), inserted]);
        var learner = Learner(new() { [B] = new(1, 0.2, false), [C] = new(3, 0.85, false) });
        StepProgress.Evaluate(plan, learner);

        var next = StepProgress.Rank(plan, learner);

        Assert.Equal(["review", "weak", "strong", "hub", "lonely"], next.Available.Select(s => s.Step.Key).ToArray());
        Assert.Contains("works on b, not yet mastered (0.20, attempted)", next.Available[1].Reasons);
        // The rule's reference to "hub" counts as waiting on it, as the prerequisite does.
        Assert.Contains("2 later steps wait on it", next.Available[3].Reasons);
        Assert.Equal(["after-1", "after-2"], next.Locked.Select(s => s.Step.Key).ToArray());
        Assert.Equal(0, next.Done);
        Assert.Equal(7, next.Total);

        var shortList = StepProgress.Rank(plan, learner, lockedLimit: 1);
        Assert.Equal(["after-1"], shortList.Locked.Select(s => s.Step.Key).ToArray());
        Assert.Equal(2, shortList.LockedTotal);
    }
}
