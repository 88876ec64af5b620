using System.Text;
using Hephaestus.Server.Api;
using Microsoft.AspNetCore.Http;

namespace Hephaestus.Server.Tests.Api;

/// <summary>
/// The guard reads a JSON body once to check its strings and hands the same bytes on. It keeps them in memory: buffering
/// through EnableBuffering wrote every body past 30 KB to a temporary file and read it back, a third of the xAPI door's CPU.
/// </summary>
public sealed class TextInputGuardBodyTests
{
    [Fact]
    public async Task A_large_json_body_is_handed_on_whole_from_memory_not_a_temporary_file()
    {
        // About 200 KB: far past the 30 KB that FileBufferingReadStream keeps in memory.
        var json = "[" + string.Join(',', Enumerable.Range(0, 2000).Select(i => $"{{\"n\":{i},\"text\":\"{new string('x', 80)}\"}}")) + "]";
        var bytes = Encoding.UTF8.GetBytes(json);
        var context = new DefaultHttpContext();
        context.Request.ContentType = "application/json";
        context.Request.Body = new MemoryStream(bytes, writable: false);
        Stream? seen = null;
        string? read = null;
        var guard = new TextInputGuard(async c =>
        {
            seen = c.Request.Body;
            using var reader = new StreamReader(c.Request.Body, Encoding.UTF8);
            read = await reader.ReadToEndAsync(TestContext.Current.CancellationToken);
        });

        await guard.InvokeAsync(context);

        Assert.IsType<MemoryStream>(seen);
        Assert.Equal(json, read);
        Assert.Equal(StatusCodes.Status200OK, context.Response.StatusCode);
    }
}
