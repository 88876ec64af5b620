using System.Text.Json;
using Hephaestus.Testing;

namespace Hephaestus.Server.Tests.OpenApi;

/// <summary>Issue 9, item 10: the OpenAPI document says what a client generator needs, for every operation (later ones too).</summary>
public class OpenApiDocumentTests(ApiDatabase db) : IClassFixture<ApiDatabase>
{
    static readonly string[] Methods = ["get", "put", "post", "delete", "patch"];

    async Task<JsonElement> DocumentAsync() => await Json.ReadAsync(await db.Api.CreateClient().GetAsync("/openapi/v1.json"));

    static IEnumerable<(string Path, string Method, JsonElement Operation)> Operations(JsonElement document) =>
        document.GetProperty("paths").EnumerateObject().SelectMany(p => p.Value.EnumerateObject()
            .Where(m => Methods.Contains(m.Name)).Select(m => (p.Name, m.Name, m.Value)));

    static JsonElement Schema(JsonElement document, string name) => document.GetProperty("components").GetProperty("schemas").GetProperty(name);

    [Fact]
    public async Task Every_api_operation_has_a_summary_a_description_its_success_a_problem_response_and_the_bearer_requirement()
    {
        var document = await DocumentAsync();
        var faults = new List<string>();
        var count = 0;
        foreach (var (path, method, operation) in Operations(document).Where(o => o.Path.StartsWith("/api/", StringComparison.Ordinal)))
        {
            count++;
            var at = $"{method.ToUpperInvariant()} {path}";
            if (!operation.TryGetProperty("operationId", out _)) faults.Add(at + ": no operationId");
            if (!operation.TryGetProperty("summary", out var summary) || summary.GetString() is not { Length: > 3 }) faults.Add(at + ": no summary");
            if (!operation.TryGetProperty("description", out var description) || description.GetString() is not { Length: > 10 }) faults.Add(at + ": no description");
            var responses = operation.GetProperty("responses").EnumerateObject().ToList();
            if (!responses.Any(r => r.Name.StartsWith('2'))) faults.Add(at + ": no success response");
            foreach (var problem in responses.Where(r => r.Name[0] is '4' or '5'))
            {
                var reference = problem.Value.GetProperty("content").GetProperty("application/problem+json").GetProperty("schema").GetProperty("$ref").GetString();
                if (reference != "#/components/schemas/Problem") faults.Add($"{at}: {problem.Name} is not the Problem schema");
            }

            foreach (var status in new[] { "401", "403", "429", "503" })
            {
                if (!responses.Any(r => r.Name == status)) faults.Add($"{at}: no {status}");
            }

            var security = operation.TryGetProperty("security", out var s) ? s.EnumerateArray().SelectMany(r => r.EnumerateObject().Select(p => p.Name)).ToList() : [];
            if (!security.Contains("bearer")) faults.Add(at + ": no bearer security requirement");
        }

        Assert.True(count >= 85, $"only {count} operations under /api");
        Assert.True(faults.Count == 0, string.Join("\n", faults));
        foreach (var (path, _, operation) in Operations(document).Where(o => o.Path.StartsWith("/health/", StringComparison.Ordinal)))
        {
            Assert.False(operation.TryGetProperty("security", out _), path + " needs no token");
            Assert.True(operation.TryGetProperty("summary", out _), path);
        }

        var scheme = document.GetProperty("components").GetProperty("securitySchemes").GetProperty("bearer");
        Assert.Equal("http", scheme.GetProperty("type").GetString());
        Assert.Equal("bearer", scheme.GetProperty("scheme").GetString());
        Assert.Equal("JWT", scheme.GetProperty("bearerFormat").GetString());
        var problemProperties = Schema(document, "Problem").GetProperty("properties");
        foreach (var member in new[] { "type", "title", "status", "detail", "instance", "errors", "traceId", "field" }) Assert.True(problemProperties.TryGetProperty(member, out _), member);
    }

    [Fact]
    public async Task Handler_specific_problems_are_documented()
    {
        var document = await DocumentAsync();
        var paths = document.GetProperty("paths");
        JsonElement Responses(string path, string method) => paths.GetProperty(path).GetProperty(method).GetProperty("responses");
        Assert.True(Responses("/api/v1/skills/{skillId}/prerequisites/{prerequisiteId}", "put").TryGetProperty("409", out _));
        Assert.True(Responses("/api/v1/learners/{learnerId}/enrollments", "post").TryGetProperty("422", out _));
        Assert.True(Responses("/api/v1/assessments/{assessmentId}", "get").TryGetProperty("404", out _));
        Assert.True(Responses("/api/v1/items", "post").TryGetProperty("400", out _));
        Assert.True(Responses("/api/v1/items", "post").TryGetProperty("413", out _));
    }

    [Fact]
    public async Task If_match_etag_idempotency_key_and_replayed_are_documented_where_honoured()
    {
        var document = await DocumentAsync();
        var paths = document.GetProperty("paths");
        JsonElement Header(JsonElement operation, string name) =>
            operation.GetProperty("parameters").EnumerateArray().Single(p => p.GetProperty("name").GetString() == name && p.GetProperty("in").GetString() == "header");

        var updateUser = paths.GetProperty("/api/v1/users/{id}").GetProperty("patch");
        Assert.True(Header(updateUser, "If-Match").GetProperty("required").GetBoolean());
        Assert.True(updateUser.GetProperty("responses").TryGetProperty("412", out _));
        Assert.True(updateUser.GetProperty("responses").TryGetProperty("428", out _));
        Assert.True(updateUser.GetProperty("responses").GetProperty("200").GetProperty("headers").TryGetProperty("ETag", out _));
        var retire = paths.GetProperty("/api/v1/assessments/{assessmentId}/retire").GetProperty("post");
        Assert.False(Header(retire, "If-Match").TryGetProperty("required", out var optional) && optional.GetBoolean());
        Assert.True(paths.GetProperty("/api/v1/users/{id}").GetProperty("get").GetProperty("responses").GetProperty("200").GetProperty("headers").TryGetProperty("ETag", out _));

        var submit = paths.GetProperty("/api/v1/learners/{learnerId}/attempts/{attemptId}/submit").GetProperty("post");
        Assert.Equal(200, Header(submit, "Idempotency-Key").GetProperty("schema").GetProperty("maxLength").GetInt32());
        Assert.True(submit.GetProperty("responses").GetProperty("201").GetProperty("headers").TryGetProperty("Idempotent-Replayed", out _));
        var getUser = paths.GetProperty("/api/v1/users/{id}").GetProperty("get");
        Assert.DoesNotContain(getUser.GetProperty("parameters").EnumerateArray(), p => p.GetProperty("name").GetString() is "If-Match" or "Idempotency-Key");
    }

    [Fact]
    public async Task Item_definitions_unlock_rules_and_mastery_parameters_have_real_schemas()
    {
        var document = await DocumentAsync();
        var definition = Schema(document, "ItemDefinition");
        Assert.Equal("type", definition.GetProperty("discriminator").GetProperty("propertyName").GetString());
        var mapping = definition.GetProperty("discriminator").GetProperty("mapping").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
        Assert.Equal(Domain.Assessments.ItemTypes.All.Order(), mapping.Keys.Order());
        Assert.Contains("prompt", definition.GetProperty("required").EnumerateArray().Select(r => r.GetString()));
        foreach (var (type, reference) in mapping)
        {
            var variant = Schema(document, reference.Split('/')[^1]).GetProperty("allOf");
            Assert.Equal("#/components/schemas/ItemDefinition", variant[0].GetProperty("$ref").GetString());
            Assert.True(variant[1].GetProperty("properties").EnumerateObject().Any(), type);
        }

        Assert.Contains("correctOptionId", Schema(document, "ItemDefinition_single_choice").GetProperty("allOf")[1].GetProperty("required").EnumerateArray().Select(r => r.GetString()));
        Assert.False(Schema(document, "LearnerItem_single_choice").GetProperty("allOf")[1].GetProperty("properties").TryGetProperty("correctOptionId", out _));
        Assert.Equal("#/components/schemas/ItemDefinition", Schema(document, "ItemRequest").GetProperty("properties").GetProperty("definition").GetProperty("$ref").GetString());
        Assert.Equal("#/components/schemas/LearnerItem", Schema(document, "AttemptItem").GetProperty("properties").GetProperty("item").GetProperty("$ref").GetString());

        var rule = Schema(document, "UnlockRule");
        var kinds = rule.GetProperty("properties").EnumerateObject().Select(p => p.Name).Order();
        Assert.Equal(new[] { "all", "any", "completed", "mastery", "score" }, kinds);
        Assert.Equal(1, rule.GetProperty("maxProperties").GetInt32());
        Assert.Contains("UnlockRule", Schema(document, "StepDefinition").GetProperty("properties").GetProperty("unlockRule").GetRawText(), StringComparison.Ordinal);

        var parameters = Schema(document, "MasteryParameterSettings").GetProperty("properties");
        foreach (var name in new[] { "prior", "learn", "guess", "slip", "forget", "bktMasteryThreshold", "calculationInt", "nMasteryCount", "masteryPoints", "ordering" })
        {
            Assert.True(parameters.TryGetProperty(name, out _), name);
        }

        Assert.Contains("MasteryParameterSettings", Schema(document, "CreateFrameworkRequest").GetProperty("properties").GetProperty("masteryParameters").GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_replay_parameters_are_documented()
    {
        var document = await DocumentAsync();
        var replay = document.GetProperty("paths").GetProperty("/api/v1/learners/{learnerId}/mastery/{skillId}/replay").GetProperty("get");
        var names = replay.GetProperty("parameters").EnumerateArray().Where(p => p.GetProperty("in").GetString() == "query").Select(p => p.GetProperty("name").GetString()).ToHashSet();
        foreach (var name in new[] { "method", "ordering", "prior", "learn", "guess", "slip", "forget", "bktMasteryThreshold", "masteryPoints", "calculationInt", "nMasteryCount" })
        {
            Assert.Contains(name, names);
        }
    }
}
