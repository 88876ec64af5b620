using Hephaestus.Testing;

namespace Hephaestus.Server.Tests.OpenApi;

public class OpenApiDocumentTests(ApiDatabase db) : IClassFixture<ApiDatabase>
{
    [Fact]
    public async Task Dump()
    {
        var text = await db.Api.CreateClient().GetStringAsync("/openapi/v1.json");
        await File.WriteAllTextAsync("/tmp/openapi-v1.json", text);
        Assert.NotEmpty(text);
    }
}
