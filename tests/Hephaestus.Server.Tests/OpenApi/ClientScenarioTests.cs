using Hephaestus.Server.Tests.OpenApi.Generated;
using Hephaestus.Testing;

namespace Hephaestus.Server.Tests.OpenApi;

/// <summary>
/// Issue 9's opening scenario, through the client NSwag generated from the OpenAPI document and nothing else (the tokens
/// aside, which come from the identity provider): an admin creates an author, an educator and three learners and a
/// cohort; the author a framework with skills, an item of every type, an assessment and a path with unlock rules;
/// learners enroll, attempt, submit (with an Idempotency-Key, and its replay) and retry; the educator overrides and
/// replays mastery; the admin regrades; a learner exports their data and is erased.
/// </summary>
public class ClientScenarioTests(ApiDatabase db) : IClassFixture<ApiDatabase>
{
    HephaestusClient As(string subject) => new(db.Api.ClientFor(subject));

    [Fact]
    public async Task Issue_9_scenario_runs_through_the_generated_client_only()
    {
        var (_, adminHttp) = await db.UserAsync("client-admin@example.org", "admin");
        var admin = new HephaestusClient(adminHttp);
        async Task<Guid> UserAsync(string name, string role) => (await admin.CreateUserAsync(new CreateUserRequest
        {
            ExternalSubject = name, Email = name + "@example.org", DisplayName = name, Roles = [role],
        })).Result.Id;

        var authorId = await UserAsync("client-author", "author");
        var educatorId = await UserAsync("client-educator", "educator");
        var learnerIds = new[] { await UserAsync("client-learner-1", "learner"), await UserAsync("client-learner-2", "learner"), await UserAsync("client-learner-3", "learner") };
        var (author, educator) = (As("client-author"), As("client-educator"));
        var learners = new[] { As("client-learner-1"), As("client-learner-2"), As("client-learner-3") };
        Assert.NotEqual(authorId, educatorId);

        var cohort = (await admin.CreateCohortAsync(new CreateCohortRequest { Name = "Algebra 1" })).Result;
        await admin.PutCohortMemberAsync(cohort.Id, educatorId, new PutMemberRequest { Role = "educator" });
        foreach (var id in learnerIds) await admin.PutCohortMemberAsync(cohort.Id, id, new PutMemberRequest { Role = "learner" });

        // An If-Match update: the ETag read is what the update sends back.
        var read = await admin.GetUserAsync(learnerIds[0]);
        var etag = read.Headers["ETag"].Single();
        var renamed = await admin.UpdateUserAsync(learnerIds[0], etag, new UpdateUserRequest { DisplayName = "Learner One" });
        Assert.Equal("Learner One", renamed.Result.DisplayName);
        var stale = await Assert.ThrowsAsync<ApiException<Problem>>(() => admin.UpdateUserAsync(learnerIds[0], etag, new UpdateUserRequest { DisplayName = "Again" }));
        Assert.Equal(412, stale.StatusCode);

        var framework = (await author.CreateFrameworkAsync(new CreateFrameworkRequest
        {
            Code = "client-alg", Title = "Algebra", MasteryMethod = "n_mastery", MasteryParameters = new MasteryParameterSettings { NMasteryCount = 1, MasteryPoints = 0.6 },
        })).Result;
        var basics = (await author.CreateSkillAsync(framework.Id, new CreateSkillRequest { Code = "basics", Title = "Basics" })).Result;
        var linear = (await author.CreateSkillAsync(framework.Id, new CreateSkillRequest { Code = "linear", Title = "Linear equations" })).Result;
        await author.AddSkillPrerequisiteAsync(linear.Id, basics.Id);

        ItemDefinition[] definitions =
        [
            new ItemDefinition_single_choice { Prompt = "2 + 2?", Options = [new Options2 { Id = "a", Text = "4" }, new Options2 { Id = "b", Text = "5" }], CorrectOptionId = "a" },
            new ItemDefinition_multiple_choice { Prompt = "Even numbers?", Options = [new Options { Id = "a", Text = "2" }, new Options { Id = "b", Text = "3" }, new Options { Id = "c", Text = "4" }], CorrectOptionIds = ["a", "c"] },
            new ItemDefinition_numeric { Prompt = "x if 2x = 6?", Value = 3 },
            new ItemDefinition_short_text { Prompt = "Name of x in 2x = 6?", AcceptedAnswers = ["variable"] },
            new ItemDefinition_ordering { Prompt = "Smallest first", Items = [new Items { Id = "one", Text = "1" }, new Items { Id = "two", Text = "2" }], CorrectOrder = ["one", "two"] },
        ];
        var items = new List<ItemResponseBody>();
        foreach (var definition in definitions)
        {
            items.Add((await author.CreateItemAsync(new ItemRequest { Definition = definition, Skills = [new SkillAlignment { SkillId = basics.Id, Weight = 1 }] })).Result);
        }

        Assert.Equal(["single_choice", "multiple_choice", "numeric", "short_text", "ordering"], items.Select(i => i.Type));
        Assert.IsType<ItemDefinition_numeric>(items[2].Definition);
        var quiz = (await author.CreateAssessmentAsync(new AssessmentRequest
        {
            Title = "Basics quiz", Parts = [.. items.Select(i => new AssessmentPart { ItemId = i.ItemId })], Settings = new AssessmentSettings { AttemptsAllowed = 3, Feedback = FeedbackLevel.Full },
        })).Result;

        var path = (await author.CreatePathAsync(new CreatePathRequest { Code = "client-path", Title = "Algebra path" })).Result;
        var draft = path.Versions.Single();
        // A draft's steps are replaced under If-Match too: the ETag of the version read.
        var draftETag = (await author.GetPathVersionAsync(path.Id, draft.Id)).Headers["ETag"].Single();
        await author.PutPathStepsAsync(path.Id, draft.Id, draftETag, new PutStepsRequest
        {
            Steps =
            [
                new StepDefinition { Key = "quiz", Kind = "assessment", RefId = quiz.Id, Title = "Quiz" },
                new StepDefinition { Key = "linear", Kind = "skill", RefId = linear.Id, Title = "Linear equations", UnlockRule = new UnlockRule { Score = new Score { Step = "quiz", Min = 0.6 } } },
                new StepDefinition { Key = "review", Kind = "skill", RefId = basics.Id, Title = "Review", UnlockRule = new UnlockRule { Score = new Score { Step = "quiz", Min = 0, Max = 0.6 } } },
            ],
        });
        await author.PublishPathVersionAsync(path.Id, draft.Id);

        var enrollments = new List<EnrollmentResponse>();
        for (var i = 0; i < 3; i++) enrollments.Add((await learners[i].EnrollAsync("me", new EnrollRequest { PathId = path.Id })).Result);

        Dictionary<string, ItemAnswer> Answers(AttemptBody attempt, bool right) => attempt.Items.ToDictionary(a => a.ItemVersionId.ToString(), a =>
            (items.FindIndex(i => i.VersionId == a.ItemVersionId), right) switch
            {
                (0, true) => new ItemAnswer { OptionId = "a" },
                (0, false) => new ItemAnswer { OptionId = "b" },
                (1, _) => new ItemAnswer { OptionIds = right ? ["a", "c"] : ["b"] },
                (2, _) => new ItemAnswer { Value = right ? 3 : 4 },
                (3, _) => new ItemAnswer { Text = right ? "variable" : "constant" },
                _ => new ItemAnswer { Order = right ? ["one", "two"] : ["two", "one"] },
            });

        // Learner 1: saves one response, submits with an Idempotency-Key; the retry with the same key is the same result, replayed.
        var attempt = (await learners[0].StartAttemptAsync(quiz.Id)).Result;
        Assert.Equal(5, attempt.Items.Count);
        Assert.IsAssignableFrom<LearnerItem>(attempt.Items.First().Item);
        var answers = Answers(attempt, right: true);
        await learners[0].SaveResponseAsync("me", attempt.Id, attempt.Items.First().ItemVersionId, new SaveResponseRequest { Response = answers[attempt.Items.First().ItemVersionId.ToString()] });
        var submitted = await learners[0].SubmitAttemptAsync("me", attempt.Id, "client-key-1", new SubmitRequest { Responses = answers });
        Assert.Equal(201, submitted.StatusCode);
        Assert.Equal(1.0, submitted.Result.Score);
        var replayed = await learners[0].SubmitAttemptAsync("me", attempt.Id, "client-key-1", new SubmitRequest { Responses = answers });
        Assert.Equal("true", replayed.Headers["Idempotent-Replayed"].Single());
        Assert.Equal(submitted.Result.ResultId, replayed.Result.ResultId);
        var next = (await learners[0].NextStepsAsync("me", enrollments[0].Id)).Result;
        Assert.Contains(next.Available, s => s.Key == "linear");
        Assert.DoesNotContain(next.Available, s => s.Key == "review");

        // Learner 2: a wrong first attempt unlocks the review; the retry scores full marks.
        var first = (await learners[1].StartAttemptAsync(quiz.Id)).Result;
        Assert.Equal(0.0, (await learners[1].SubmitAttemptAsync("me", first.Id, null, new SubmitRequest { Responses = Answers(first, right: false) })).Result.Score);
        Assert.Contains((await learners[1].NextStepsAsync("me", enrollments[1].Id)).Result.Available, s => s.Key == "review");
        var retry = (await learners[1].StartAttemptAsync(quiz.Id)).Result;
        Assert.Equal(2, retry.Number);
        Assert.Equal(1.0, (await learners[1].SubmitAttemptAsync("me", retry.Id, "client-key-2", new SubmitRequest { Responses = Answers(retry, right: true) })).Result.Score);

        // The educator: an audited override, the learner's results, a what-if replay of mastery.
        var overridden = (await educator.OverrideEnrollmentAsync(learnerIds[2].ToString(), enrollments[2].Id,
            new OverrideRequest { Kind = "unlock", StepKey = "linear", Reason = "Placed by the teacher" })).Result;
        Assert.Contains(overridden.Steps, s => s.Key == "linear" && s.Status != "locked");
        Assert.Equal(2, (await educator.ListLearnerResultsAsync(learnerIds[1].ToString())).Result.Items.Count);
        var replay = (await educator.ReplayMasteryAsync(learnerIds[0].ToString(), basics.Id, method: Method.Bkt)).Result;
        Assert.Equal("bkt", replay.Method);
        Assert.True(replay.EvidenceCount > 0);

        // A fixed key (a new version of the numeric item) and the admin's regrade of the answers to version 1.
        await author.CreateItemVersionAsync(items[2].ItemId, new ItemRequest { Definition = new ItemDefinition_numeric { Prompt = "x if 2x = 8?", Value = 4 }, Skills = [new SkillAlignment { SkillId = basics.Id, Weight = 1 }] });
        var regrade = (await admin.RegradeItemAsync(items[2].ItemId, new RegradeRequest { FromVersion = 1 })).Result;
        Assert.Equal(3, regrade.Attempts);
        Assert.Equal(2, regrade.Learners);

        // Learner 3 exports their data, then is erased.
        var export = (await learners[2].ExportUserAsync(learnerIds[2])).Result;
        Assert.Equal(learnerIds[2], export.User.Id);
        Assert.Equal(204, (await admin.EraseUserAsync(learnerIds[2])).StatusCode);
        var gone = await Assert.ThrowsAsync<ApiException<Problem>>(() => admin.GetUserAsync(learnerIds[2]));
        Assert.Equal(404, gone.StatusCode);
    }
}
