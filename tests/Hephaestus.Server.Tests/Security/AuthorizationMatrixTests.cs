using System.Net.Http.Headers;
using System.Net.Http.Json;
using Hephaestus.Testing;

namespace Hephaestus.Server.Tests.Security;

/// <summary>
/// The same world for every case: learner L in cohort C taught by educator E; another learner O and educator F
/// outside it; an author, an analyst and an admin; a token whose subject is unknown; no token at all.
/// </summary>
public sealed class MatrixWorld : ApiDatabase
{
    public Guid Learner { get; private set; }
    public Guid Cohort { get; private set; }
    public Dictionary<string, HttpClient> Clients { get; } = [];

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        (Learner, Clients["self"]) = await UserAsync("l@matrix.test", "learner");
        Guid educator;
        (educator, Clients["cohort educator"]) = await UserAsync("e@matrix.test", "educator");
        (_, Clients["other learner"]) = await UserAsync("o@matrix.test", "learner");
        (_, Clients["other educator"]) = await UserAsync("f@matrix.test", "educator");
        (_, Clients["author"]) = await UserAsync("a@matrix.test", "author");
        (_, Clients["analyst"]) = await UserAsync("n@matrix.test", "analyst");
        (_, Clients["reviewer"]) = await UserAsync("r@matrix.test", "reviewer");
        (_, Clients["admin"]) = await UserAsync("root@matrix.test", "admin");
        Clients["unprovisioned"] = Api.ClientFor("test|nobody@matrix.test");
        Clients["anonymous"] = Api.CreateClient();
        Cohort = Guid.CreateVersion7();
        await ExecuteAsync("INSERT INTO hephaestus.cohorts (id, name) VALUES ($1, 'C')", Cohort);
        await ExecuteAsync("INSERT INTO hephaestus.cohort_members (cohort_id, user_id, member_role) VALUES ($1, $2, 'learner'), ($1, $3, 'educator')",
            Cohort, Learner, educator);
    }
}

public class AuthorizationMatrixTests(MatrixWorld world) : IClassFixture<MatrixWorld>
{
    public static TheoryData<string, string, string, int> Cases()
    {
        var data = new TheoryData<string, string, string, int>();
        void Row(string endpoint, params (string Actor, int Status)[] outcomes)
        {
            foreach (var (actor, status) in outcomes) data.Add(endpoint, "", actor, status);
        }

        const int ok = 200, created = 201, noContent = 204, unauthorized = 401, forbidden = 403, notFound = 404;
        Row("GET user", ("self", ok), ("cohort educator", ok), ("admin", ok), ("other learner", notFound), ("other educator", notFound),
            ("author", notFound), ("analyst", notFound), ("unprovisioned", unauthorized), ("anonymous", unauthorized));
        Row("PATCH user", ("self", ok), ("admin", ok), ("cohort educator", forbidden), ("other learner", notFound), ("other educator", notFound),
            ("author", notFound), ("analyst", notFound), ("unprovisioned", unauthorized), ("anonymous", unauthorized));
        Row("GET export", ("self", ok), ("admin", ok), ("cohort educator", forbidden), ("other learner", notFound), ("other educator", notFound),
            ("author", notFound), ("analyst", notFound), ("unprovisioned", unauthorized), ("anonymous", unauthorized));
        Row("DELETE user", ("self", noContent), ("admin", noContent), ("cohort educator", forbidden), ("other learner", notFound),
            ("other educator", notFound), ("author", notFound), ("analyst", notFound), ("unprovisioned", unauthorized), ("anonymous", unauthorized));
        Row("POST user", ("admin", created), ("self", forbidden), ("cohort educator", forbidden), ("author", forbidden), ("analyst", forbidden),
            ("unprovisioned", unauthorized), ("anonymous", unauthorized));
        Row("GET users", ("self", ok), ("cohort educator", ok), ("other learner", ok), ("admin", ok), ("author", ok),
            ("unprovisioned", unauthorized), ("anonymous", unauthorized));
        Row("GET cohort", ("self", ok), ("cohort educator", ok), ("admin", ok), ("other learner", notFound), ("other educator", notFound),
            ("author", notFound), ("analyst", notFound), ("unprovisioned", unauthorized), ("anonymous", unauthorized));
        Row("POST cohort", ("admin", created), ("self", forbidden), ("cohort educator", forbidden), ("analyst", forbidden),
            ("unprovisioned", unauthorized), ("anonymous", unauthorized));
        Row("PUT member", ("admin", ok), ("self", forbidden), ("cohort educator", forbidden), ("other educator", forbidden),
            ("unprovisioned", unauthorized), ("anonymous", unauthorized));
        Row("GET results", ("self", ok), ("cohort educator", ok), ("admin", ok), ("other learner", notFound), ("other educator", notFound),
            ("author", notFound), ("analyst", notFound), ("unprovisioned", unauthorized), ("anonymous", unauthorized));
        Row("GET gradebook", ("self", ok), ("cohort educator", ok), ("admin", ok), ("other learner", notFound), ("other educator", notFound),
            ("author", notFound), ("analyst", notFound), ("unprovisioned", unauthorized), ("anonymous", unauthorized));
        // Aggregates: analysts and admins everything, educators the cohorts they teach, learners none (their own figures below).
        Row("GET cohort analytics", ("analyst", ok), ("admin", ok), ("cohort educator", ok), ("other educator", notFound), ("self", forbidden),
            ("author", forbidden), ("reviewer", forbidden), ("unprovisioned", unauthorized), ("anonymous", unauthorized));
        Row("GET learner analytics", ("self", ok), ("cohort educator", ok), ("analyst", ok), ("admin", ok), ("other learner", notFound),
            ("other educator", notFound), ("author", notFound), ("unprovisioned", unauthorized), ("anonymous", unauthorized));
        // The bank holds answer keys: the readers of a single item list it, no one else.
        Row("GET items", ("author", ok), ("admin", ok), ("cohort educator", ok), ("self", forbidden), ("analyst", forbidden),
            ("unprovisioned", unauthorized), ("anonymous", unauthorized));
        Row("GET assessments", ("self", ok), ("author", ok), ("analyst", ok), ("unprovisioned", unauthorized), ("anonymous", unauthorized));
        // Writers reach the lookup (an unknown assessment: 404); everyone else is refused by role first.
        Row("PATCH assessment", ("author", notFound), ("admin", notFound), ("self", forbidden), ("cohort educator", forbidden),
            ("analyst", forbidden), ("unprovisioned", unauthorized), ("anonymous", unauthorized));
        Row("POST retire", ("author", notFound), ("admin", notFound), ("self", forbidden), ("cohort educator", forbidden),
            ("unprovisioned", unauthorized), ("anonymous", unauthorized));
        // Item analysis: analysts and admins reach the lookup (an unknown assessment: 404); educators only through a cohort.
        // Content effectiveness and patterns: staff only; an educator through a cohort they teach (an unknown item: 404 after that).
        Row("GET content effectiveness", ("analyst", notFound), ("admin", notFound), ("cohort educator", forbidden), ("self", forbidden),
            ("author", forbidden), ("unprovisioned", unauthorized), ("anonymous", unauthorized));
        Row("GET cohort patterns", ("analyst", ok), ("admin", ok), ("cohort educator", ok), ("other educator", notFound), ("self", forbidden),
            ("author", forbidden), ("reviewer", forbidden), ("unprovisioned", unauthorized), ("anonymous", unauthorized));
        Row("GET item analysis", ("analyst", notFound), ("admin", notFound), ("self", forbidden), ("cohort educator", forbidden),
            ("author", forbidden), ("reviewer", forbidden), ("unprovisioned", unauthorized), ("anonymous", unauthorized));
        Row("GET cohort item analysis", ("cohort educator", notFound), ("other educator", notFound), ("analyst", notFound), ("self", forbidden),
            ("author", forbidden), ("unprovisioned", unauthorized), ("anonymous", unauthorized));
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Every_role_gets_exactly_its_rights(string endpoint, string unused, string actor, int expected)
    {
        _ = unused;
        var client = world.Clients[actor];
        // Writes that destroy or change the shared learner act on a fresh learner in the same cohort.
        var target = endpoint is "DELETE user" or "PATCH user" ? await FreshCohortLearnerAsync() : world.Learner;
        var selfClient = actor == "self" && target != world.Learner ? world.Api.ClientFor($"test|{target}@matrix.test") : client;
        var beforeUsers = await world.ScalarAsync<long>("SELECT count(*) FROM hephaestus.users");

        var response = endpoint switch
        {
            "GET user" => await selfClient.GetAsync($"/api/v1/users/{target}"),
            "PATCH user" => await PatchAsync(selfClient, target),
            "GET export" => await selfClient.GetAsync($"/api/v1/users/{target}/export"),
            "DELETE user" => await selfClient.DeleteAsync($"/api/v1/users/{target}"),
            "POST user" => await selfClient.PostAsJsonAsync("/api/v1/users", new { externalSubject = $"new|{Guid.NewGuid()}", email = $"{Guid.NewGuid():N}@matrix.test", displayName = "New" }),
            "GET users" => await selfClient.GetAsync("/api/v1/users"),
            "GET cohort" => await selfClient.GetAsync($"/api/v1/cohorts/{world.Cohort}"),
            "POST cohort" => await selfClient.PostAsJsonAsync("/api/v1/cohorts", new { name = "New cohort" }),
            "PUT member" => await selfClient.PutAsJsonAsync($"/api/v1/cohorts/{world.Cohort}/members/{target}", new { role = "learner" }),
            "GET results" => await selfClient.GetAsync($"/api/v1/learners/{target}/results"),
            "GET gradebook" => await selfClient.GetAsync($"/api/v1/cohorts/{world.Cohort}/gradebook"),
            "GET cohort analytics" => await selfClient.GetAsync($"/api/v1/analytics/cohorts/{world.Cohort}/mastery"),
            "GET learner analytics" => await selfClient.GetAsync($"/api/v1/analytics/learners/{target}/mastery"),
            "GET items" => await selfClient.GetAsync("/api/v1/items"),
            "GET assessments" => await selfClient.GetAsync("/api/v1/assessments"),
            "PATCH assessment" => await selfClient.PatchAsync($"/api/v1/assessments/{Guid.NewGuid()}", new { title = "T" }, "\"1\""),
            "POST retire" => await selfClient.PostAsync($"/api/v1/assessments/{Guid.NewGuid()}/retire", null),
            "GET content effectiveness" => await selfClient.GetAsync($"/api/v1/analytics/content/items/{Guid.NewGuid()}/effectiveness"),
            "GET cohort patterns" => await selfClient.GetAsync($"/api/v1/analytics/patterns/stuck?cohortId={world.Cohort}"),
            "GET item analysis" => await selfClient.GetAsync($"/api/v1/analytics/assessments/{Guid.NewGuid()}/item-analysis"),
            "GET cohort item analysis" => await selfClient.GetAsync($"/api/v1/analytics/assessments/{Guid.NewGuid()}/item-analysis?cohortId={world.Cohort}"),
            _ => throw new ArgumentOutOfRangeException(nameof(endpoint)),
        };

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(expected == (int)response.StatusCode, $"{actor} {endpoint}: expected {expected}, got {(int)response.StatusCode} {body}");
        if (expected >= 400) Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        if (expected >= 400 && endpoint is "POST user" or "DELETE user")
        {
            Assert.Equal(beforeUsers, await world.ScalarAsync<long>("SELECT count(*) FROM hephaestus.users"));
        }
    }

    [Fact]
    public async Task Listing_users_shows_each_role_only_what_it_may_read()
    {
        async Task<int> CountAsync(string actor) =>
            (await Json.ReadAsync(await world.Clients[actor].GetAsync("/api/v1/users?limit=500"))).GetProperty("items").GetArrayLength();

        Assert.Equal(1, await CountAsync("other learner"));
        Assert.Equal(1, await CountAsync("author"));
        Assert.Equal(1, await CountAsync("other educator"));
        // The cohort educator sees themselves and every learner of their cohort (L plus the fresh learners other cases add).
        var cohortLearners = await world.ScalarAsync<long>("SELECT count(*) FROM hephaestus.cohort_members WHERE cohort_id = $1 AND member_role = 'learner'", world.Cohort);
        Assert.Equal(cohortLearners + 1, await CountAsync("cohort educator"));
        Assert.Equal(await world.ScalarAsync<long>("SELECT count(*) FROM hephaestus.users"), await CountAsync("admin"));
    }

    [Fact]
    public async Task Expired_and_foreign_tokens_are_refused_with_401()
    {
        var client = world.Api.CreateClient();
        var expired = Hephaestus.Server.Auth.TokenIssuer.Issue(Convert.FromBase64String(TestDatabase.SigningKeyBase64), "test|l@matrix.test",
            TimeSpan.FromMinutes(5), now: DateTime.UtcNow.AddHours(-2));
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", expired);
        await Json.ProblemAsync(await client.GetAsync("/api/v1/users/me"), 401);

        var foreign = Hephaestus.Server.Auth.TokenIssuer.Issue(new byte[32], "test|l@matrix.test", TimeSpan.FromMinutes(5));
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", foreign);
        await Json.ProblemAsync(await client.GetAsync("/api/v1/users/me"), 401);
    }

    async Task<Guid> FreshCohortLearnerAsync()
    {
        var id = Guid.CreateVersion7();
        await world.ExecuteAsync("INSERT INTO hephaestus.users (id, external_subject, email, display_name) VALUES ($1, $2, $3, 'Fresh')",
            id, $"test|{id}@matrix.test", $"{id}@matrix.test");
        await world.ExecuteAsync("INSERT INTO hephaestus.cohort_members (cohort_id, user_id, member_role) VALUES ($1, $2, 'learner')", world.Cohort, id);
        return id;
    }

    async Task<HttpResponseMessage> PatchAsync(HttpClient client, Guid target)
    {
        var version = await world.ScalarAsync<uint>("SELECT xmin FROM hephaestus.users WHERE id = $1", target);
        return await client.PatchAsync($"/api/v1/users/{target}", new { displayName = "Changed" }, $"\"{version}\"");
    }
}
