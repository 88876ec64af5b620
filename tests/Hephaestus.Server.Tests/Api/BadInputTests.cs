using System.Net.Http.Json;
using Hephaestus.Testing;

namespace Hephaestus.Server.Tests.Api;

/// <summary>Every client mistake is a 4xx problem that names what is wrong, and the database is unchanged.</summary>
public class BadInputTests(ApiDatabase db) : IClassFixture<ApiDatabase>
{
    const string ValidUser = """{"externalSubject":"idp|x","email":"x@example.org","displayName":"X"}""";

    async Task<HttpClient> AdminAsync() => (await db.UserAsync($"admin-{Guid.NewGuid():N}@example.org", "admin")).Client;

    async Task<(long Users, long Cohorts)> CountsAsync() =>
        (await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.users"), await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.cohorts"));

    public static TheoryData<string, string, string> BadUserBodies() => new()
    {
        { "malformed JSON", """{"externalSubject":"idp|x", "email": """, "/email" },
        { "wrong type", """{"externalSubject":"idp|x","email":"x@example.org","displayName":42}""", "/displayName" },
        { "unknown field", """{"externalSubject":"idp|x","email":"x@example.org","displayName":"X","isAdmin":true}""", "/isAdmin" },
        { "missing required field", """{"externalSubject":"idp|x","email":"x@example.org"}""", "" },
        { "null for a required field", """{"externalSubject":"idp|x","email":null,"displayName":"X"}""", "/email" },
        { "invalid email", """{"externalSubject":"idp|x","email":"not-an-email","displayName":"X"}""", "/email" },
        { "unknown role", """{"externalSubject":"idp|x","email":"x@example.org","displayName":"X","roles":["wizard"]}""", "/roles/0" },
        { "bad time zone", """{"externalSubject":"idp|x","email":"x@example.org","displayName":"X","timeZone":"Mars/Olympus"}""", "/timeZone" },
        { "bad locale", """{"externalSubject":"idp|x","email":"x@example.org","displayName":"X","locale":"english please"}""", "/locale" },
        { "profile not an object", """{"externalSubject":"idp|x","email":"x@example.org","displayName":"X","profile":[1,2]}""", "/profile" },
        { "profile goals not an array", """{"externalSubject":"idp|x","email":"x@example.org","displayName":"X","profile":{"goals":"all"}}""", "/profile/goals" },
        { "empty display name", """{"externalSubject":"idp|x","email":"x@example.org","displayName":""}""", "/displayName" },
    };

    [Theory]
    [MemberData(nameof(BadUserBodies))]
    public async Task A_bad_user_body_is_a_400_naming_the_field_and_changes_nothing(string why, string body, string field)
    {
        var admin = await AdminAsync();
        var before = await CountsAsync();
        var response = await admin.PostAsync("/api/v1/users", Json.Body(body));
        var problem = await Json.ProblemAsync(response, 400);
        var errors = problem.GetProperty("errors");
        // The field itself or something inside it; "" (the whole body) only as itself.
        Assert.True(errors.EnumerateObject().Any(e => e.Name == field || (field.Length > 0 && e.Name.StartsWith(field + "/", StringComparison.Ordinal))),
            $"{why}: expected an error for {field}, got {errors}");
        Assert.Equal(before, await CountsAsync());
    }

    [Fact]
    public async Task An_oversized_body_is_a_413_problem_and_changes_nothing()
    {
        var admin = await AdminAsync();
        var before = await CountsAsync();
        var huge = ValidUser.Replace("\"X\"", "\"" + new string('x', 2 * 1024 * 1024) + "\"", StringComparison.Ordinal);
        await Json.ProblemAsync(await admin.PostAsync("/api/v1/users", Json.Body(huge)), 413);

        // Without Content-Length (chunked), the limit still holds.
        var chunked = new StreamContent(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(huge)));
        chunked.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        chunked.Headers.ContentLength = null;
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/users") { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        await Json.ProblemAsync(await admin.SendAsync(request), 413);
        Assert.Equal(before, await CountsAsync());
    }

    [Fact]
    public async Task A_profile_too_large_is_refused_even_under_the_body_limit()
    {
        var admin = await AdminAsync();
        // Eight notes of 9,000 characters: each string within the general text limit, the profile over its own.
        var notes = string.Join(",", Enumerable.Repeat("\"" + new string('n', 9_000) + "\"", 8));
        var body = """{"externalSubject":"idp|big","email":"big@example.org","displayName":"Big","profile":{"notes":[NOTES]}}""".Replace("NOTES", notes, StringComparison.Ordinal);
        var problem = await Json.ProblemAsync(await admin.PostAsync("/api/v1/users", Json.Body(body)), 400);
        Assert.True(problem.GetProperty("errors").TryGetProperty("/profile", out _));
    }

    [Fact]
    public async Task Invalid_ids_and_queries_are_4xx_problems()
    {
        var admin = await AdminAsync();
        var id = await Json.ProblemAsync(await admin.GetAsync("/api/v1/users/not-a-guid"), 400);
        Assert.Equal("must be a UUID", id.GetProperty("errors").GetProperty("/id")[0].GetString());
        await Json.ProblemAsync(await admin.GetAsync($"/api/v1/users/{Guid.NewGuid()}"), 404);
        var limit = await Json.ProblemAsync(await admin.GetAsync("/api/v1/users?limit=0"), 400);
        Assert.True(limit.GetProperty("errors").TryGetProperty("/limit", out _));
        var profile = await Json.ProblemAsync(await admin.GetAsync("/api/v1/users?profile=%7Bnot-json"), 400);
        Assert.True(profile.GetProperty("errors").TryGetProperty("/profile", out _));
        var after = await Json.ProblemAsync(await admin.GetAsync("/api/v1/users?after=yesterday"), 400);
        Assert.Equal("must be a UUID", after.GetProperty("errors").GetProperty("/after")[0].GetString());
        var notANumber = await Json.ProblemAsync(await admin.GetAsync("/api/v1/users?limit=ten"), 400);
        Assert.Equal("must be an integer", notANumber.GetProperty("errors").GetProperty("/limit")[0].GetString());
        var role = await Json.ProblemAsync(await admin.GetAsync("/api/v1/users?role=wizard"), 400);
        Assert.True(role.GetProperty("errors").TryGetProperty("/role", out _));
    }

    [Fact]
    public async Task A_bad_patch_changes_nothing_even_when_some_fields_are_valid()
    {
        var (id, client) = await db.UserAsync($"patch-{Guid.NewGuid():N}@example.org", "learner");
        var etag = (await client.GetAsync($"/api/v1/users/{id}")).Headers.ETag!.ToString();
        var response = await client.PatchAsync($"/api/v1/users/{id}", new { displayName = "Fine", timeZone = "Nowhere/Else" }, etag);
        await Json.ProblemAsync(response, 400);
        Assert.NotEqual("Fine", await db.ScalarAsync<string>("SELECT display_name FROM hephaestus.users WHERE id = $1", id));
    }

    [Fact]
    public async Task A_cohort_member_with_an_unknown_role_or_user_is_refused()
    {
        var admin = await AdminAsync();
        var cohort = (await Json.ReadAsync(await admin.PostAsJsonAsync("/api/v1/cohorts", new { name = "Bad input" }))).GetProperty("id").GetGuid();
        var problem = await Json.ProblemAsync(await admin.PutAsJsonAsync($"/api/v1/cohorts/{cohort}/members/{Guid.NewGuid()}", new { role = "janitor" }), 400);
        Assert.True(problem.GetProperty("errors").TryGetProperty("/role", out _));
        await Json.ProblemAsync(await admin.PutAsJsonAsync($"/api/v1/cohorts/{cohort}/members/{Guid.NewGuid()}", new { role = "learner" }), 404);
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.cohort_members WHERE cohort_id = $1", cohort));
    }
}
