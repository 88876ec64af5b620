using Hephaestus.Testing;
using NJsonSchema.CodeGeneration.CSharp;
using NSwag.CodeGeneration.CSharp;
using NSwag.CodeGeneration.OperationNameGenerators;

namespace Hephaestus.Server.Tests.OpenApi;

/// <summary>
/// The OpenAPI document is good enough for a client generator: NSwag generates a C# client from the served
/// <c>/openapi/v1.json</c>, and that client, committed beside this file and compiled with the tests, drives the issue's
/// end-to-end scenario (ClientScenarioTests). A change of the API that changes the client fails here until
/// the client is regenerated: run this class with HEPHAESTUS_UPDATE_CLIENT=1 and commit the file.
/// </summary>
public partial class GeneratedClientTests(ApiDatabase db) : IClassFixture<ApiDatabase>
{
    internal const string ClientFile = "OpenApi/HephaestusClient.g.cs";

    internal static async Task<string> GenerateAsync(HttpClient http)
    {
        var json = await http.GetStringAsync("/openapi/v1.json");
        var document = await NSwag.OpenApiDocument.FromJsonAsync(json);
        var settings = new CSharpClientGeneratorSettings
        {
            ClassName = "HephaestusClient",
            GenerateClientInterfaces = false,
            UseBaseUrl = false,
            InjectHttpClient = true,
            GenerateOptionalParameters = true,
            // Responses with their headers: a client reads ETag and Idempotent-Replayed.
            WrapResponses = true,
            ResponseClass = "ApiResponse",
            OperationNameGenerator = new SingleClientFromOperationIdOperationNameGenerator(),
            CSharpGeneratorSettings =
            {
                Namespace = "Hephaestus.Server.Tests.OpenApi.Generated",
                JsonLibrary = CSharpJsonLibrary.SystemTextJson,
                GenerateNullableReferenceTypes = true,
                GenerateOptionalPropertiesAsNullable = true,
                GenerateDataAnnotations = false,
            },
        };
        // NSwag's System.Text.Json templates name enum wire values with [EnumMember] only, which System.Text.Json ignores
        // (the client still uses it for query strings); its own attribute beside it makes `in_progress` read and write as
        // the API spells it.
        return EnumMember().Replace(new CSharpClientGenerator(document, settings).GenerateFile().ReplaceLineEndings("\n"),
            "$0, System.Text.Json.Serialization.JsonStringEnumMemberName(@\"$1\")");
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"System\.Runtime\.Serialization\.EnumMember\(Value = @""([^""]*)""\)")]
    private static partial System.Text.RegularExpressions.Regex EnumMember();

    [Fact]
    public async Task The_committed_client_is_what_the_served_document_generates()
    {
        var generated = await GenerateAsync(db.Api.CreateClient());
        var path = Path.Combine(SourceDirectory(), ClientFile);
        if (Environment.GetEnvironmentVariable("HEPHAESTUS_UPDATE_CLIENT") == "1") await File.WriteAllTextAsync(path, generated);
        var committed = File.Exists(path) ? (await File.ReadAllTextAsync(path)).ReplaceLineEndings("\n") : "";
        if (committed != generated)
        {
            var fresh = Path.Combine(Path.GetTempPath(), $"HephaestusClient-{Guid.NewGuid():N}.g.cs");
            await File.WriteAllTextAsync(fresh, generated);
            Assert.Fail($"{ClientFile} is not what the served OpenAPI document generates (that is {fresh}); run this test with "
                + "HEPHAESTUS_UPDATE_CLIENT=1 and commit the file.");
        }
        Assert.Contains("public partial class HephaestusClient", generated, StringComparison.Ordinal);
    }

    /// <summary>The test project's source folder (this file's parent's parent), where the committed client lives.</summary>
    internal static string SourceDirectory([System.Runtime.CompilerServices.CallerFilePath] string file = "") => Path.GetDirectoryName(Path.GetDirectoryName(file))!;
}
