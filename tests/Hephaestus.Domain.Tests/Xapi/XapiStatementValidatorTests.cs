using System.Text.Json;
using System.Text.Json.Nodes;
using Hephaestus.Domain.Xapi;

namespace Hephaestus.Domain.Tests.Xapi;

public class XapiStatementValidatorTests
{
    /// <summary>A Statement that uses most of the data model, every part valid.</summary>
    const string Full = """
        {
          "id": "fd41c918-b88b-4b20-a0a5-a4c32391aaa0",
          "actor": { "objectType": "Agent", "name": "Ann", "mbox": "mailto:ann@example.com" },
          "verb": { "id": "http://adlnet.gov/expapi/verbs/answered", "display": { "en-US": "answered", "de": "beantwortet" } },
          "object": {
            "objectType": "Activity", "id": "http://example.com/quiz/1/q/2",
            "definition": {
              "name": { "en": "Question 2" }, "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
              "moreInfo": "https://example.com/q2", "interactionType": "choice", "correctResponsesPattern": ["a[,]b"],
              "choices": [ { "id": "a", "description": { "en": "A" } }, { "id": "b" } ],
              "extensions": { "http://example.com/ext": null }
            }
          },
          "result": { "score": { "scaled": 0.5, "raw": 5, "min": 0, "max": 10 }, "success": true, "completion": false,
                      "response": "a", "duration": "PT1M30.5S", "extensions": { "http://example.com/r": [1, 2] } },
          "context": {
            "registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7",
            "instructor": { "account": { "homePage": "https://lms.example.com", "name": "t1" } },
            "team": { "objectType": "Group", "member": [ { "openid": "https://id.example.com/bob" } ] },
            "contextActivities": { "parent": { "id": "http://example.com/quiz/1" }, "category": [ { "id": "http://example.com/profile" } ] },
            "revision": "r2", "platform": "web", "language": "en-GB",
            "statement": { "objectType": "StatementRef", "id": "8f87ccde-bb56-4c2e-ab83-44982ef22df0" },
            "contextAgents": [ { "objectType": "contextAgent", "agent": { "mbox_sha1sum": "ebd31e95054c018b10727ccffd2ef2ec3a016ee9" },
                                 "relevantTypes": [ "http://example.com/types/peer" ] } ],
            "contextGroups": [ { "objectType": "contextGroup", "group": { "objectType": "Group", "mbox": "mailto:team@example.com" } } ]
          },
          "timestamp": "2026-12-01T10:00:00.123+02:00",
          "version": "2.0.0",
          "attachments": [ { "usageType": "http://example.com/usage/cert", "display": { "en": "Certificate" }, "contentType": "application/pdf",
                             "length": 12, "sha2": "672fa5fa658017f1b72d65036f13379c6ab05d4ab3b6664908d8acf0b6a0c634" } ]
        }
        """;

    static IReadOnlyList<ValidationError> Errors(string json)
    {
        using var document = JsonDocument.Parse(json);
        return XapiStatementValidator.Validate(document.RootElement.Clone());
    }

    /// <summary>The full Statement with the value at <paramref name="pointer"/> replaced by <paramref name="value"/> (null: removed).</summary>
    static string With(string pointer, string? value)
    {
        var root = JsonNode.Parse(Full)!;
        var tokens = pointer.Trim('/').Split('/').Select(t => t.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)).ToArray();
        var parent = root;
        foreach (var token in tokens[..^1]) parent = parent is JsonArray a ? a[int.Parse(token, System.Globalization.CultureInfo.InvariantCulture)]! : parent[token]!;
        var last = tokens[^1];
        var node = value is null ? null : JsonNode.Parse(value);
        if (parent is JsonArray array) array[int.Parse(last, System.Globalization.CultureInfo.InvariantCulture)] = node;
        else if (value is null) parent.AsObject().Remove(last);
        else parent[last] = node;
        return root.ToJsonString();
    }

    [Fact]
    public void The_full_statement_is_valid() => Assert.Empty(Errors(Full));

    [Fact]
    public void The_smallest_statement_is_valid() => Assert.Empty(Errors("""
        {"actor":{"mbox":"mailto:a@b.c"},"verb":{"id":"http://example.com/v"},"object":{"id":"http://example.com/a"}}
        """));

    public static TheoryData<string, string?, string> Refused() => new()
    {
        // Structure: required parts, unknown or miscased properties, nulls.
        { "/actor", null, "/actor" },
        { "/verb", null, "/verb" },
        { "/object", null, "/object" },
        { "/colour", "\"red\"", "/colour" },
        { "/Actor", "{\"mbox\":\"mailto:a@b.c\"}", "/Actor" },
        { "/result/response", "null", "/result/response" },
        { "/id", "\"not-a-uuid\"", "/id" },
        { "/id", "\"{fd41c918-b88b-4b20-a0a5-a4c32391aaa0}\"", "/id" },
        { "/id", "\"\"", "/id" },
        // Agents and Groups: exactly one identifier, each well formed.
        { "/actor/mbox", "\"ann@example.com\"", "/actor/mbox" },
        { "/actor/openid", "\"https://id.example.com/ann\"", "/actor" },
        { "/actor/mbox", null, "/actor" },
        { "/actor/objectType", "\"agent\"", "/actor/objectType" },
        { "/actor/objectType", "\"Person\"", "/actor/objectType" },
        { "/context/team/member/0/mbox_sha1sum", "\"abc\"", "/context/team/member/0/mbox_sha1sum" },
        { "/context/instructor/account/homePage", "\"lms\"", "/context/instructor/account/homePage" },
        { "/context/instructor/account/name", null, "/context/instructor/account/name" },
        { "/context/instructor/account/id", "\"x\"", "/context/instructor/account/id" },
        { "/context/team/member", null, "/context/team/member" },
        { "/context/team/member/0", "{\"objectType\":\"Group\",\"mbox\":\"mailto:g@example.com\"}", "/context/team/member/0/objectType" },
        { "/context/team/objectType", null, "/context/team/objectType" },
        { "/context/contextGroups/0/group/openid", "\"https://id.example.com/team\"", "/context/contextGroups/0/group" },
        // Verb.
        { "/verb/id", "\"answered\"", "/verb/id" },
        { "/verb/id", "\"\"", "/verb/id" },
        { "/verb/display", "{\"en_US\":\"answered\"}", "/verb/display/en_US" },
        { "/verb/display", "{\"en-US\":5}", "/verb/display/en-US" },
        { "/verb/display", "\"answered\"", "/verb/display" },
        // Objects.
        { "/object/objectType", "\"activity\"", "/object/objectType" },
        { "/object/id", "\"quiz 1\"", "/object/id" },
        { "/object/definition/interactionType", "\"multiple-choice\"", "/object/definition/interactionType" },
        { "/object/definition/choices/1/id", "\"a\"", "/object/definition/choices/1/id" },
        { "/object/definition/scale", "[{\"id\":\"x\"}]", "/object/definition/scale" },
        { "/object/definition/moreInfo", "\"q2\"", "/object/definition/moreInfo" },
        { "/object/definition/extensions", "{\"ext\":1}", "/object/definition/extensions/ext" },
        { "/object", "{\"objectType\":\"Agent\",\"mbox\":\"mailto:x@example.com\",\"account\":{\"homePage\":\"https://a.example.com\",\"name\":\"x\"}}", "/object" },
        { "/object", "{\"objectType\":\"StatementRef\",\"id\":\"nope\"}", "/object/id" },
        { "/object", "{\"objectType\":\"StatementRef\"}", "/object/id" },
        { "/object", "{\"objectType\":\"Thing\",\"id\":\"http://example.com/x\"}", "/object/objectType" },
        // Results.
        { "/result/score/scaled", "1.5", "/result/score/scaled" },
        { "/result/score/scaled", "\"0.5\"", "/result/score/scaled" },
        { "/result/score/raw", "11", "/result/score/raw" },
        { "/result/score/min", "10", "/result/score/min" },
        { "/result/success", "\"true\"", "/result/success" },
        { "/result/completion", "1", "/result/completion" },
        { "/result/duration", "\"90 seconds\"", "/result/duration" },
        { "/result/duration", "\"PT\"", "/result/duration" },
        { "/result/duration", "\"P1W2D\"", "/result/duration" },
        { "/result/response", "42", "/result/response" },
        { "/result/extensions", "{\"not an iri\":1}", "/result/extensions/not an iri" },
        // Context.
        { "/context/registration", "\"2015\"", "/context/registration" },
        { "/context/contextActivities/parent", "[{\"id\":\"parent\"}]", "/context/contextActivities/parent/0/id" },
        { "/context/contextActivities/sibling", "[]", "/context/contextActivities/sibling" },
        { "/context/language", "\"english!\"", "/context/language" },
        { "/context/statement", "{\"objectType\":\"StatementRef\",\"id\":\"x\"}", "/context/statement/id" },
        { "/context/contextAgents/0/objectType", "\"Agent\"", "/context/contextAgents/0/objectType" },
        { "/context/contextAgents/0/relevantTypes", "[]", "/context/contextAgents/0/relevantTypes" },
        { "/context/contextAgents/0/relevantTypes", "[\"peer\"]", "/context/contextAgents/0/relevantTypes/0" },
        { "/context/contextAgents/0/agent", null, "/context/contextAgents/0/agent" },
        // Timestamps and versions.
        { "/timestamp", "\"2026-12-01 10:00:00\"", "/timestamp" },
        { "/timestamp", "\"2026-12-01T10:00:00\"", "/timestamp" },
        { "/timestamp", "\"2026-12-01T10:00:00-00:00\"", "/timestamp" },
        { "/timestamp", "\"2026-13-01T10:00:00Z\"", "/timestamp" },
        { "/version", "\"1.1.0\"", "/version" },
        { "/version", "\"3.0.0\"", "/version" },
        { "/stored", "\"yesterday\"", "/stored" },
        { "/authority", "{\"name\":\"no identifier\"}", "/authority" },
        // Attachments.
        { "/attachments/0/usageType", null, "/attachments/0/usageType" },
        { "/attachments/0/display", null, "/attachments/0/display" },
        { "/attachments/0/contentType", "\"pdf\"", "/attachments/0/contentType" },
        { "/attachments/0/length", "\"12\"", "/attachments/0/length" },
        { "/attachments/0/length", "-1", "/attachments/0/length" },
        { "/attachments/0/sha2", "\"abc\"", "/attachments/0/sha2" },
        { "/attachments/0/fileUrl", "\"cert.pdf\"", "/attachments/0/fileUrl" },
        { "/attachments", "{}", "/attachments" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void A_statement_breaking_a_must_is_refused_naming_the_property(string pointer, string? value, string expected)
    {
        var errors = Errors(With(pointer, value));
        Assert.Contains(errors, e => e.Path == expected);
    }

    [Fact]
    public void Revision_and_platform_are_refused_when_the_object_is_not_an_activity()
    {
        var json = With("/object", """{"objectType":"Agent","mbox":"mailto:x@example.com"}""");
        var errors = Errors(json);
        Assert.Contains(errors, e => e.Path == "/context/revision");
        Assert.Contains(errors, e => e.Path == "/context/platform");
    }

    [Fact]
    public void An_agent_as_object_must_say_its_object_type()
    {
        var errors = Errors(With("/object", """{"mbox":"mailto:x@example.com"}"""));
        Assert.Contains(errors, e => e.Path == "/object/id");
    }

    [Fact]
    public void A_repeated_property_is_refused() => Assert.Contains(Errors("""
        {"actor":{"mbox":"mailto:a@b.c"},"verb":{"id":"http://example.com/v"},"verb":{"id":"http://example.com/w"},"object":{"id":"http://example.com/a"}}
        """), e => e.Path == "/verb");

    [Fact]
    public void A_voiding_statement_must_target_a_statement_ref() => Assert.Contains(Errors("""
        {"actor":{"mbox":"mailto:a@b.c"},"verb":{"id":"http://adlnet.gov/expapi/verbs/voided"},"object":{"id":"http://example.com/a"}}
        """), e => e.Path == "/object/objectType");

    const string Sub = """
        {"actor":{"mbox":"mailto:a@b.c"},"verb":{"id":"http://example.com/planned"},
         "object":{"objectType":"SubStatement","actor":{"mbox":"mailto:a@b.c"},"verb":{"id":"http://example.com/visit"},"object":{"id":"http://example.com/site"}%EXTRA%}}
        """;

    [Fact]
    public void A_substatement_is_validated_as_a_statement() => Assert.Empty(Errors(Sub.Replace("%EXTRA%", ",\"timestamp\":\"2030-01-01T00:00:00Z\"", StringComparison.Ordinal)));

    [Theory]
    [InlineData("\"id\":\"fd41c918-b88b-4b20-a0a5-a4c32391aaa0\"", "/object/id")]
    [InlineData("\"stored\":\"2026-01-01T00:00:00Z\"", "/object/stored")]
    [InlineData("\"version\":\"2.0.0\"", "/object/version")]
    [InlineData("\"authority\":{\"mbox\":\"mailto:a@b.c\"}", "/object/authority")]
    [InlineData("\"result\":{\"success\":\"yes\"}", "/object/result/success")]
    public void A_substatement_must_not_have_what_only_a_statement_has(string extra, string expected) =>
        Assert.Contains(Errors(Sub.Replace("%EXTRA%", "," + extra, StringComparison.Ordinal)), e => e.Path == expected);

    [Fact]
    public void A_substatement_must_not_nest_another() => Assert.Contains(Errors(Sub.Replace("\"object\":{\"id\":\"http://example.com/site\"}",
        "\"object\":{\"objectType\":\"SubStatement\",\"actor\":{\"mbox\":\"mailto:a@b.c\"},\"verb\":{\"id\":\"http://example.com/v\"},\"object\":{\"id\":\"http://example.com/x\"}}",
        StringComparison.Ordinal).Replace("%EXTRA%", "", StringComparison.Ordinal)), e => e.Path == "/object/object");

    [Fact]
    public void An_anonymous_group_actor_with_members_is_valid_and_one_without_is_not()
    {
        Assert.Empty(Errors(With("/actor", """{"objectType":"Group","member":[{"mbox":"mailto:a@b.c"}]}""")));
        Assert.Contains(Errors(With("/actor", """{"objectType":"Group","name":"nobody"}""")), e => e.Path == "/actor/member");
    }

    [Fact]
    public void Extension_values_may_be_null_but_other_values_may_not()
    {
        Assert.Empty(Errors(With("/context/extensions", """{"http://example.com/x":null}""")));
        Assert.Contains(Errors(With("/context/contextActivities/category/0", "null")), e => e.Path == "/context/contextActivities/category/0");
    }

    [Fact]
    public void Every_error_is_reported_not_just_the_first()
    {
        var errors = Errors("""{"actor":{"mbox":"a"},"verb":{"id":"v"},"object":{"id":"o"},"timestamp":"now"}""");
        Assert.Equal(["/actor/mbox", "/object/id", "/timestamp", "/verb/id"], errors.Select(e => e.Path).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Pointers_carry_the_given_prefix()
    {
        using var document = JsonDocument.Parse("""{"actor":{"mbox":"a"},"verb":{"id":"http://example.com/v"},"object":{"id":"http://example.com/o"}}""");
        Assert.Equal("/3/actor/mbox", Assert.Single(XapiStatementValidator.Validate(document.RootElement, "/3")).Path);
    }
}
