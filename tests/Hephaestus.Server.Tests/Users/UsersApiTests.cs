using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hephaestus.Testing;

namespace Hephaestus.Server.Tests.Users;

public class UsersApiTests(ApiDatabase db) : IClassFixture<ApiDatabase>
{
    async Task<HttpClient> AdminAsync() => (await db.UserAsync($"admin-{Guid.NewGuid():N}@example.org", "admin")).Client;

    static object NewUser(string email, object? profile = null, string[]? roles = null) => new
    {
        externalSubject = "idp|" + email,
        email,
        displayName = "Ada " + email[..4],
        locale = "en-GB",
        timeZone = "Europe/London",
        roles = roles ?? ["learner"],
        profile = profile ?? new { goals = new[] { "algebra" }, preferences = new { pace = "steady" } },
    };

    [Fact]
    public async Task Admin_creates_a_user_and_reads_it_back_with_an_etag()
    {
        var admin = await AdminAsync();
        var created = await admin.PostAsJsonAsync("/api/v1/users", NewUser($"c1-{Guid.NewGuid():N}@example.org"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var user = await Json.ReadAsync(created);
        var id = user.GetProperty("id").GetGuid();
        Assert.Equal(7, id.Version);
        Assert.Equal($"/api/v1/users/{id}", created.Headers.Location!.ToString());

        var read = await admin.GetAsync($"/api/v1/users/{id}");
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal(created.Headers.ETag, read.Headers.ETag);
        var body = await Json.ReadAsync(read);
        Assert.Equal("Europe/London", body.GetProperty("timeZone").GetString());
        Assert.Equal("algebra", body.GetProperty("profile").GetProperty("goals")[0].GetString());
    }

    [Fact]
    public async Task Update_with_a_stale_etag_is_refused_with_412_and_changes_nothing()
    {
        var email = $"u-{Guid.NewGuid():N}@example.org";
        var (id, client) = await db.UserAsync(email, "learner");
        var read = await client.GetAsync($"/api/v1/users/{id}");
        var etag = read.Headers.ETag!.ToString();

        var first = await client.PatchAsync($"/api/v1/users/{id}", new { displayName = "First" }, etag);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.NotEqual(etag, first.Headers.ETag!.ToString());

        var second = await client.PatchAsync($"/api/v1/users/{id}", new { displayName = "Second" }, etag);
        var problem = await Json.ProblemAsync(second, 412);
        Assert.Equal(first.Headers.ETag!.ToString(), problem.GetProperty("currentETag").GetString());
        Assert.Equal("First", await db.ScalarAsync<string>("SELECT display_name FROM hephaestus.users WHERE id = $1", id));
    }

    [Fact]
    public async Task Update_without_if_match_is_refused_with_428()
    {
        var (id, client) = await db.UserAsync($"n-{Guid.NewGuid():N}@example.org", "learner");
        var response = await client.PatchAsync($"/api/v1/users/{id}", new { displayName = "X" }, etag: null);
        await Json.ProblemAsync(response, 428);
    }

    [Fact]
    public async Task Two_concurrent_updates_with_the_same_etag_let_exactly_one_win()
    {
        var (id, client) = await db.UserAsync($"race-{Guid.NewGuid():N}@example.org", "learner");
        var etag = (await client.GetAsync($"/api/v1/users/{id}")).Headers.ETag!.ToString();
        var attempts = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            client.PatchAsync($"/api/v1/users/{id}", new { displayName = $"Writer {i}" }, etag)));
        Assert.Equal(1, attempts.Count(r => r.StatusCode == HttpStatusCode.OK));
        Assert.Equal(7, attempts.Count(r => r.StatusCode == HttpStatusCode.PreconditionFailed));
        var winner = await Json.ReadAsync(attempts.Single(r => r.StatusCode == HttpStatusCode.OK));
        Assert.Equal(winner.GetProperty("displayName").GetString(),
            await db.ScalarAsync<string>("SELECT display_name FROM hephaestus.users WHERE id = $1", id));
    }

    [Fact]
    public async Task A_learner_cannot_grant_themselves_a_role()
    {
        var (id, client) = await db.UserAsync($"r-{Guid.NewGuid():N}@example.org", "learner");
        var etag = (await client.GetAsync($"/api/v1/users/{id}")).Headers.ETag!.ToString();
        await Json.ProblemAsync(await client.PatchAsync($"/api/v1/users/{id}", new { roles = new[] { "admin" } }, etag), 403);
        Assert.Equal(["learner"], (await db.ScalarAsync<string[]>("SELECT roles FROM hephaestus.users WHERE id = $1", id))!);
    }

    [Fact]
    public async Task Only_an_admin_changes_an_email_and_a_learner_learns_nothing_about_taken_ones()
    {
        var email = $"mail-{Guid.NewGuid():N}@example.org";
        var (id, client) = await db.UserAsync(email, "learner");
        var taken = $"taken-{Guid.NewGuid():N}@example.org";
        await db.CreateUserAsync(taken, "admin");
        var etag = (await client.GetAsync($"/api/v1/users/{id}")).Headers.ETag!.ToString();

        var details = new List<string?>();
        foreach (var wanted in new[] { $"free-{Guid.NewGuid():N}@example.org", taken, taken.ToUpperInvariant() })
        {
            var problem = await Json.ProblemAsync(await client.PatchAsync($"/api/v1/users/{id}", new { email = wanted }, etag), 403);
            details.Add(problem.GetProperty("detail").GetString());
        }

        Assert.Single(details.Distinct());
        Assert.Contains("email", details[0], StringComparison.Ordinal);
        Assert.Equal(email, await db.ScalarAsync<string>("SELECT email FROM hephaestus.users WHERE id = $1", id));

        var admin = await AdminAsync();
        var changed = $"changed-{Guid.NewGuid():N}@example.org";
        var response = await admin.PatchAsync($"/api/v1/users/{id}", new { email = changed }, etag);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(changed, await db.ScalarAsync<string>("SELECT email FROM hephaestus.users WHERE id = $1", id));
    }

    [Fact]
    public async Task Duplicate_email_is_a_409_naming_the_field_regardless_of_case()
    {
        var admin = await AdminAsync();
        var email = $"dup-{Guid.NewGuid():N}@example.org";
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/v1/users", NewUser(email))).StatusCode);
        var again = NewUser(email.ToUpperInvariant());
        var problem = await Json.ProblemAsync(await admin.PostAsJsonAsync("/api/v1/users", again), 409);
        Assert.Equal("/email", problem.GetProperty("field").GetString());
    }

    [Fact]
    public async Task Listing_pages_by_keyset_and_filters_by_profile_containment()
    {
        var admin = await AdminAsync();
        var tag = Guid.NewGuid().ToString("N");
        for (var i = 0; i < 5; i++)
        {
            var response = await admin.PostAsJsonAsync("/api/v1/users",
                NewUser($"p{i}-{tag}@example.org", new { goals = new[] { tag }, preferences = new { pace = i % 2 == 0 ? "fast" : "slow" } }));
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }

        var filter = Uri.EscapeDataString(JsonSerializer.Serialize(new { goals = new[] { tag } }));
        var seen = new List<Guid>();
        string? after = null;
        do
        {
            var page = await Json.ReadAsync(await admin.GetAsync($"/api/v1/users?limit=2&profile={filter}" + (after is null ? "" : $"&after={after}")));
            var items = page.GetProperty("items").EnumerateArray().Select(u => u.GetProperty("id").GetGuid()).ToList();
            Assert.True(items.Count <= 2);
            seen.AddRange(items);
            after = page.GetProperty("next").ValueKind == JsonValueKind.Null ? null : page.GetProperty("next").GetString();
        }
        while (after is not null);

        Assert.Equal(5, seen.Count);
        Assert.Equal(seen.Order().ToList(), seen); // keyset order is id order (UUIDv7: creation order)

        var fast = Uri.EscapeDataString(JsonSerializer.Serialize(new { goals = new[] { tag }, preferences = new { pace = "fast" } }));
        var fastPage = await Json.ReadAsync(await admin.GetAsync($"/api/v1/users?profile={fast}"));
        Assert.Equal(3, fastPage.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task Export_holds_the_profile_and_cohort_memberships_and_erasure_removes_everything()
    {
        var admin = await AdminAsync();
        var (id, learner) = await db.UserAsync($"gdpr-{Guid.NewGuid():N}@example.org", "learner");
        var cohort = await Json.ReadAsync(await admin.PostAsJsonAsync("/api/v1/cohorts", new { name = "Export cohort" }));
        var cohortId = cohort.GetProperty("id").GetGuid();
        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync($"/api/v1/cohorts/{cohortId}/members/{id}", new { role = "learner" })).StatusCode);

        var export = await Json.ReadAsync(await learner.GetAsync($"/api/v1/users/{id}/export"));
        Assert.Equal(id, export.GetProperty("user").GetProperty("id").GetGuid());
        var memberships = export.GetProperty("sections").GetProperty("cohortMemberships");
        Assert.Equal(cohortId, Assert.Single(memberships.EnumerateArray()).GetProperty("cohortId").GetGuid());

        Assert.Equal(HttpStatusCode.NoContent, (await learner.DeleteAsync($"/api/v1/users/{id}")).StatusCode);
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.users WHERE id = $1", id));
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.cohort_members WHERE user_id = $1", id));
        // The erased user's token no longer acts for anyone, and the refusal says why.
        var gone = await Json.ProblemAsync(await learner.GetAsync("/api/v1/users/me"), 401);
        Assert.Equal(Hephaestus.Server.Auth.TokenChallenge.UnknownAccountType, gone.GetProperty("type").GetString());
        Assert.Contains("no longer exists", gone.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Put_member_is_idempotent_and_requires_the_matching_role()
    {
        var admin = await AdminAsync();
        var (learnerId, _) = await db.UserAsync($"m-{Guid.NewGuid():N}@example.org", "learner");
        var cohortId = (await Json.ReadAsync(await admin.PostAsJsonAsync("/api/v1/cohorts", new { name = "Idempotent" }))).GetProperty("id").GetGuid();
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync($"/api/v1/cohorts/{cohortId}/members/{learnerId}", new { role = "learner" })).StatusCode);
        }

        Assert.Equal(1L, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.cohort_members WHERE cohort_id = $1", cohortId));
        var problem = await Json.ProblemAsync(await admin.PutAsJsonAsync($"/api/v1/cohorts/{cohortId}/members/{learnerId}", new { role = "educator" }), 400);
        Assert.True(problem.GetProperty("errors").TryGetProperty("/role", out _));
        Assert.Equal("learner", await db.ScalarAsync<string>("SELECT member_role FROM hephaestus.cohort_members WHERE cohort_id = $1", cohortId));
    }
}
