using System.Security.Cryptography;
using System.Text;
using Hephaestus.Testing;
using static Hephaestus.Server.Tests.Xapi.XapiClients;

namespace Hephaestus.Server.Tests.Xapi;

/// <summary>
/// Issue 11: the State, Activity Profile and Agent Profile resources with xAPI's concurrency rules (ETag on GET, If-Match
/// and If-None-Match, 409 for a blind profile PUT), JSON merge, since filters, delete all, and who may touch whose documents.
/// </summary>
public class XapiDocumentsTests(ApiDatabase db) : IClassFixture<ApiDatabase>
{
    static string NewActivity() => $"https://example.org/activities/{Guid.NewGuid():N}";

    async Task<HttpClient> ProviderAsync(Guid? learnerScope = null)
    {
        var (_, admin) = await db.UserAsync($"docs-admin-{Guid.NewGuid():N}@example.org", "admin");
        var (_, key, secret) = await IssueAsync(admin, "Authoring tool", learnerScope);
        return Provider(db, key, secret);
    }

    static async Task<string> BodyAsync(HttpResponseMessage response)
    {
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return await response.Content.ReadAsStringAsync();
    }

    static string ETag(HttpResponseMessage response) => response.Headers.ETag?.ToString() ?? throw new InvalidOperationException("no ETag");

    [Fact]
    public async Task State_round_trips_with_its_content_type_a_sha1_etag_and_last_modified_and_overwrites_without_preconditions()
    {
        var provider = await ProviderAsync();
        var url = State(NewActivity(), Mbox("ada@example.org"), "bookmark");
        using (var put = await provider.SendAsync(Send(HttpMethod.Put, url, "page 7", "text/plain"))) Assert.Equal(204, (int)put.StatusCode);
        using var get = await provider.GetAsync(url);
        Assert.Equal("page 7", await BodyAsync(get));
        Assert.Equal("text/plain", get.Content.Headers.ContentType?.MediaType);
        Assert.Equal($"\"{Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes("page 7")))}\"", ETag(get));
        Assert.NotNull(get.Content.Headers.LastModified);
        Assert.Equal("2.0.0", get.Headers.GetValues("X-Experience-API-Version").Single());

        // State is written blind by authoring tools: a PUT without preconditions over an existing document replaces it.
        using (var again = await provider.SendAsync(Send(HttpMethod.Put, url, "page 8", "text/plain"))) Assert.Equal(204, (int)again.StatusCode);
        Assert.Equal("page 8", await BodyAsync(await provider.GetAsync(url)));
        using var head = await provider.SendAsync(new HttpRequestMessage(HttpMethod.Head, url));
        Assert.Equal(200, (int)head.StatusCode);
        Assert.Equal(ETag(await provider.GetAsync(url)), ETag(head));
        await Json.ProblemAsync(await provider.GetAsync(State(NewActivity(), Mbox("ada@example.org"), "none")), 404);
    }

    [Fact]
    public async Task Stale_if_match_and_if_none_match_star_on_an_existing_document_are_412_and_change_nothing()
    {
        var provider = await ProviderAsync();
        var url = State(NewActivity(), Mbox("bo@example.org"), "progress");
        using var created = await provider.SendAsync(Send(HttpMethod.Put, url, "{\"x\":1}", ifNoneMatch: "*"));
        Assert.Equal(204, (int)created.StatusCode);
        var etag = ETag(created);

        var stale = await Json.ProblemAsync(await provider.SendAsync(Send(HttpMethod.Put, url, "{\"x\":2}", ifMatch: "\"0000000000000000000000000000000000000000\"")), 412);
        Assert.Equal(etag, stale.GetProperty("currentETag").GetString());
        await Json.ProblemAsync(await provider.SendAsync(Send(HttpMethod.Put, url, "{\"x\":3}", ifNoneMatch: "*")), 412);
        await Json.ProblemAsync(await provider.SendAsync(Send(HttpMethod.Post, url, "{\"y\":3}", ifNoneMatch: "*")), 412);
        await Json.ProblemAsync(await provider.SendAsync(Send(HttpMethod.Delete, url, ifMatch: "\"abc\"")), 412);
        Assert.Equal("{\"x\":1}", await BodyAsync(await provider.GetAsync(url)));

        using var matched = await provider.SendAsync(Send(HttpMethod.Put, url, "{\"x\":4}", ifMatch: etag));
        Assert.Equal(204, (int)matched.StatusCode);
        Assert.NotEqual(etag, ETag(matched));
        // If-Match on a document that is not there fails too: the client believed in a document that is gone.
        await Json.ProblemAsync(await provider.SendAsync(Send(HttpMethod.Put, State(NewActivity(), Mbox("bo@example.org"), "gone"), "{}", ifMatch: "*")), 412);
    }

    [Theory]
    [InlineData("/activities/profile")]
    [InlineData("/agents/profile")]
    public async Task A_profile_put_over_an_existing_document_needs_a_precondition_409_without_and_412_when_stale(string resource)
    {
        var provider = await ProviderAsync();
        var url = resource == "/activities/profile"
            ? $"/xapi/activities/profile?activityId={Q(NewActivity())}&profileId=settings"
            : $"/xapi/agents/profile?agent={Q(Mbox($"{Guid.NewGuid():N}@example.org"))}&profileId=settings";
        using (var first = await provider.SendAsync(Send(HttpMethod.Put, url, "{\"a\":1}"))) Assert.Equal(204, (int)first.StatusCode);
        var conflict = await Json.ProblemAsync(await provider.SendAsync(Send(HttpMethod.Put, url, "{\"a\":2}")), 409);
        Assert.Contains("If-Match", conflict.GetProperty("detail").GetString(), StringComparison.Ordinal);
        await Json.ProblemAsync(await provider.SendAsync(Send(HttpMethod.Put, url, "{\"a\":3}", ifMatch: "\"1111111111111111111111111111111111111111\"")), 412);
        Assert.Equal("{\"a\":1}", await BodyAsync(await provider.GetAsync(url)));

        var etag = ETag(await provider.GetAsync(url));
        using (var replaced = await provider.SendAsync(Send(HttpMethod.Put, url, "{\"a\":4}", ifMatch: etag))) Assert.Equal(204, (int)replaced.StatusCode);
        Assert.Equal("{\"a\":4}", await BodyAsync(await provider.GetAsync(url)));
        await Json.ProblemAsync(await provider.SendAsync(Send(HttpMethod.Delete, url, ifMatch: etag)), 412);
        using (var deleted = await provider.SendAsync(Send(HttpMethod.Delete, url, ifMatch: ETag(await provider.GetAsync(url))))) Assert.Equal(204, (int)deleted.StatusCode);
        await Json.ProblemAsync(await provider.GetAsync(url), 404);
        await Json.ProblemAsync(await provider.SendAsync(Send(HttpMethod.Delete, url)), 404);
    }

    [Fact]
    public async Task Post_merges_top_level_properties_of_two_json_objects_and_refuses_anything_else_without_a_change()
    {
        var provider = await ProviderAsync();
        var agent = Mbox("cy@example.org");
        var activity = NewActivity();
        var url = State(activity, agent, "vars");
        using (var first = await provider.SendAsync(Send(HttpMethod.Post, url, "{\"x\":\"foo\",\"y\":\"bar\",\"o\":{\"keep\":1}}"))) Assert.Equal(204, (int)first.StatusCode);
        using (var merge = await provider.SendAsync(Send(HttpMethod.Post, url, "{\"x\":\"bash\",\"z\":\"faz\",\"o\":{\"new\":2}}"))) Assert.Equal(204, (int)merge.StatusCode);
        var merged = await Json.ReadAsync(await provider.GetAsync(url));
        Assert.Equal("bash", merged.GetProperty("x").GetString());
        Assert.Equal("bar", merged.GetProperty("y").GetString());
        Assert.Equal("faz", merged.GetProperty("z").GetString());
        Assert.False(merged.GetProperty("o").TryGetProperty("keep", out _));

        await Json.ProblemAsync(await provider.SendAsync(Send(HttpMethod.Post, url, "[1,2]")), 400);
        await Json.ProblemAsync(await provider.SendAsync(Send(HttpMethod.Post, url, "plain", "text/plain")), 400);
        await Json.ProblemAsync(await provider.SendAsync(Send(HttpMethod.Post, url, "{not json")), 400);
        var text = State(activity, agent, "text");
        using (var put = await provider.SendAsync(Send(HttpMethod.Put, text, "hello", "text/plain"))) Assert.Equal(204, (int)put.StatusCode);
        await Json.ProblemAsync(await provider.SendAsync(Send(HttpMethod.Post, text, "{\"a\":1}")), 400);
        Assert.Equal("hello", await BodyAsync(await provider.GetAsync(text)));
        Assert.Equal("bash", (await Json.ReadAsync(await provider.GetAsync(url))).GetProperty("x").GetString());
    }

    [Fact]
    public async Task Ids_list_every_document_of_a_context_or_those_changed_since_and_delete_all_empties_the_context_only()
    {
        var provider = await ProviderAsync();
        var agent = Mbox("di@example.org");
        var activity = NewActivity();
        var registration = Guid.NewGuid();
        foreach (var id in new[] { "a", "b" }) Assert.Equal(204, (int)(await provider.SendAsync(Send(HttpMethod.Put, State(activity, agent, id), "{}"))).StatusCode);
        await Task.Delay(20);
        var between = DateTimeOffset.UtcNow.ToString("O");
        await Task.Delay(20);
        Assert.Equal(204, (int)(await provider.SendAsync(Send(HttpMethod.Put, State(activity, agent, "c"), "{}"))).StatusCode);
        Assert.Equal(204, (int)(await provider.SendAsync(Send(HttpMethod.Put, State(activity, agent, "r", registration), "{}"))).StatusCode);

        using var all = await provider.GetAsync(State(activity, agent));
        Assert.Equal(["a", "b", "c"], (await Json.ReadAsync(all)).EnumerateArray().Select(i => i.GetString()));
        Assert.NotNull(all.Content.Headers.LastModified);
        Assert.NotNull(all.Headers.ETag);
        Assert.Equal(["c"], (await Json.ReadAsync(await provider.GetAsync(State(activity, agent, since: between)))).EnumerateArray().Select(i => i.GetString()));
        Assert.Equal(["r"], (await Json.ReadAsync(await provider.GetAsync(State(activity, agent, registration: registration)))).EnumerateArray().Select(i => i.GetString()));
        await Json.ProblemAsync(await provider.GetAsync(State(activity, agent, "a", since: between)), 400);

        using (var delete = await provider.DeleteAsync(State(activity, agent))) Assert.Equal(204, (int)delete.StatusCode);
        Assert.Empty((await Json.ReadAsync(await provider.GetAsync(State(activity, agent)))).EnumerateArray());
        Assert.Equal(["r"], (await Json.ReadAsync(await provider.GetAsync(State(activity, agent, registration: registration)))).EnumerateArray().Select(i => i.GetString()));
    }

    [Fact]
    public async Task A_learner_touches_only_their_own_agents_documents_and_sees_what_a_provider_stored_for_them()
    {
        var email = $"own-{Guid.NewGuid():N}@example.org";
        var (learnerId, learner) = await db.UserAsync(email, "learner");
        var (_, other) = await db.UserAsync($"own-other-{Guid.NewGuid():N}@example.org", "learner");
        learner.Speaking();
        other.Speaking();
        var activity = NewActivity();
        var own = State(activity, Mbox(email), "s");
        using (var put = await learner.SendAsync(Send(HttpMethod.Put, own, "{\"mine\":true}"))) Assert.Equal(204, (int)put.StatusCode);
        await Json.ProblemAsync(await other.GetAsync(own), 403);
        await Json.ProblemAsync(await other.SendAsync(Send(HttpMethod.Put, own, "{\"theirs\":true}")), 403);
        await Json.ProblemAsync(await other.DeleteAsync(State(activity, Mbox(email))), 403);
        Assert.Equal("{\"mine\":true}", await BodyAsync(await learner.GetAsync(own)));

        // The same learner by account on this service, and by the SHA-1 of their mailto IRI.
        var account = $"{{\"account\":{{\"homePage\":\"http://localhost\",\"name\":\"{learnerId}\"}}}}";
        Assert.Equal(204, (int)(await learner.SendAsync(Send(HttpMethod.Put, State(activity, account, "s"), "{}"))).StatusCode);
        var sha1 = Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes("mailto:" + email)));
        Assert.Equal(204, (int)(await learner.SendAsync(Send(HttpMethod.Put, State(activity, $"{{\"mbox_sha1sum\":\"{sha1}\"}}", "s"), "{}"))).StatusCode);
        await Json.ProblemAsync(await other.GetAsync(State(activity, account, "s")), 403);

        var provider = await ProviderAsync();
        var fromTool = State(NewActivity(), Mbox(email), "suspend");
        Assert.Equal(204, (int)(await provider.SendAsync(Send(HttpMethod.Put, fromTool, "{\"page\":3}"))).StatusCode);
        Assert.Equal("{\"page\":3}", await BodyAsync(await learner.GetAsync(fromTool)));
        Assert.Equal(learnerId, await db.ScalarAsync<Guid>("SELECT user_id FROM hephaestus.xapi_documents WHERE document_id = 'suspend'"));
    }

    [Fact]
    public async Task A_provider_scoped_to_a_cohort_names_only_its_learners_by_any_identifier_in_documents_and_statements()
    {
        var inEmail = $"scope-in-{Guid.NewGuid():N}@example.org";
        var (inside, _) = await db.UserAsync(inEmail, "learner");
        var outEmail = $"scope-out-{Guid.NewGuid():N}@example.org";
        await db.UserAsync(outEmail, "learner");
        var cohort = Guid.CreateVersion7();
        await db.ExecuteAsync("INSERT INTO hephaestus.cohorts (id, name) VALUES ($1, 'Scoped')", cohort);
        await db.ExecuteAsync("INSERT INTO hephaestus.cohort_members (cohort_id, user_id, member_role) VALUES ($1, $2, 'learner')", cohort, inside);
        var provider = await ProviderAsync(cohort);
        var activity = NewActivity();
        Assert.Equal(204, (int)(await provider.SendAsync(Send(HttpMethod.Put, State(activity, Mbox(inEmail), "s"), "{}"))).StatusCode);
        await Json.ProblemAsync(await provider.SendAsync(Send(HttpMethod.Put, State(activity, Mbox(outEmail), "s"), "{}")), 403);
        await Json.ProblemAsync(await provider.SendAsync(Send(HttpMethod.Put, State(activity, Mbox("stranger@example.org"), "s"), "{}")), 403);

        // One mapping for every door: the SHA-1 of a learner's mailto IRI names them for documents too (stored as theirs).
        string Sha1(string email) => $"{{\"mbox_sha1sum\":\"{Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes("mailto:" + email)))}\"}}";
        Assert.Equal(204, (int)(await provider.SendAsync(Send(HttpMethod.Put, State(activity, Sha1(inEmail), "hashed"), "{}"))).StatusCode);
        Assert.Equal(inside, await db.ScalarAsync<Guid>("SELECT user_id FROM hephaestus.xapi_documents WHERE activity_id = $1 AND document_id = 'hashed'", activity));
        await Json.ProblemAsync(await provider.SendAsync(Send(HttpMethod.Put, State(activity, Sha1(outEmail), "hashed"), "{}")), 403);

        // And the Statements resource keeps the same scope: a Statement about a learner outside the cohort is refused.
        string Statement(string email) => XapiStatementsTests.Statement(email, activity: activity);
        Assert.Equal(200, (int)(await provider.SendAsync(Send(HttpMethod.Post, XapiStatementsTests.Url, Statement(inEmail)))).StatusCode);
        var refused = await Json.ProblemAsync(await provider.SendAsync(Send(HttpMethod.Post, XapiStatementsTests.Url, $"[{Statement(inEmail)},{Statement(outEmail)}]")), 403);
        Assert.Equal("/1/actor", refused.GetProperty("field").GetString());
        Assert.Equal(1L, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.xapi_statements WHERE activity_id = $1", activity));
    }

    [Fact]
    public async Task Activity_profiles_are_read_by_anyone_signed_in_and_written_by_providers_authors_and_admins()
    {
        var (_, learner) = await db.UserAsync($"ap-learner-{Guid.NewGuid():N}@example.org", "learner");
        var (_, author) = await db.UserAsync($"ap-author-{Guid.NewGuid():N}@example.org", "author");
        learner.Speaking();
        author.Speaking();
        var url = $"/xapi/activities/profile?activityId={Q(NewActivity())}&profileId=rubric";
        Assert.Equal(204, (int)(await author.SendAsync(Send(HttpMethod.Put, url, "{\"levels\":3}"))).StatusCode);
        Assert.Equal("{\"levels\":3}", await BodyAsync(await learner.GetAsync(url)));
        await Json.ProblemAsync(await learner.SendAsync(Send(HttpMethod.Post, url, "{\"levels\":9}")), 403);
        Assert.Equal("{\"levels\":3}", await BodyAsync(await learner.GetAsync(url)));
    }

    [Fact]
    public async Task Documents_refuse_unknown_or_miscased_parameters_keep_long_json_strings_and_stop_past_1_MiB()
    {
        var provider = await ProviderAsync();
        var url = State(NewActivity(), Mbox("ed@example.org"), "big");
        await Json.ProblemAsync(await provider.GetAsync(url + "&StateId=x"), 400);
        await Json.ProblemAsync(await provider.GetAsync(url.Replace("stateId", "stateid", StringComparison.Ordinal)), 400);
        await Json.ProblemAsync(await provider.SendAsync(Send(HttpMethod.Post, url + "&method=PUT", "{}")), 400);
        await Json.ProblemAsync(await provider.GetAsync(State("not an iri", Mbox("ed@example.org"), "x")), 400);
        await Json.ProblemAsync(await provider.GetAsync(State(NewActivity(), "{\"name\":\"no identifier\"}", "x")), 400);

        // An authoring tool's suspend data is one long JSON string: stored as bytes, the API's 10,000-character string cap does not apply.
        var suspend = $"{{\"suspend_data\":\"{new string('x', 50_000)}\"}}";
        Assert.Equal(204, (int)(await provider.SendAsync(Send(HttpMethod.Put, url, suspend))).StatusCode);
        Assert.Equal(suspend.Length, (await BodyAsync(await provider.GetAsync(url))).Length);
        await Json.ProblemAsync(await provider.SendAsync(Send(HttpMethod.Put, url, new string('y', 1024 * 1024 + 1), "text/plain")), 413);
        Assert.Equal(suspend.Length, (await BodyAsync(await provider.GetAsync(url))).Length);
    }
}
