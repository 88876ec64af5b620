using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Hephaestus.Server.Hosting;

/// <summary>Tells the person who just ran the service where everything is.</summary>
internal static class StartupBanner
{
    public static void Print(WebApplication app)
    {
        var server = app.Services.GetService<IServer>();
        // The in-process test host has no real address; only a listening Kestrel gets the banner.
        if (server is null || !server.GetType().Name.Contains("Kestrel", StringComparison.Ordinal)) return;
        var address = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        if (address is null) return;
        var endpoint = app.Services.GetRequiredService<DatabaseEndpoint>();
        var database = endpoint.IsEmbedded
            ? $"embedded PostgreSQL, data in {endpoint.EmbeddedDataDirectory}"
            : "external PostgreSQL (ConnectionStrings:Hephaestus)";
        var hephaestus = LaunchCommand.Current();
        Console.WriteLine($"""

            Hephaestus is running.
              API            {address}/api/v1
              API docs       {address}/docs   (OpenAPI: {address}/openapi/v1.json)
              Health         {address}/health/ready
              Database       {database}
              Get a token    {hephaestus} token --user you@example.org --role admin
                             then: curl -H "Authorization: Bearer <token>" {address}/api/v1/users/me
            Stop with Ctrl+C; PostgreSQL is shut down cleanly and the data is kept.

            """);
    }
}
