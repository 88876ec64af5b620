using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Hephaestus.Server.Hosting;

/// <summary>Tells the person who just ran the service where everything is.</summary>
internal static class StartupBanner
{
    public static void Print(WebApplication app)
    {
        var address = app.Services.GetService<IServer>()?.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        if (address is null) return; // the in-process test host has no address
        var endpoint = app.Services.GetRequiredService<DatabaseEndpoint>();
        var database = endpoint.IsEmbedded
            ? $"embedded PostgreSQL, data in {endpoint.EmbeddedDataDirectory}"
            : "external PostgreSQL (ConnectionStrings:Hephaestus)";
        Console.WriteLine($"""

            Hephaestus is running.
              API            {address}/api/v1
              API docs       {address}/docs   (OpenAPI: {address}/openapi/v1.json)
              Health         {address}/health/ready
              Database       {database}
              Get a token    dotnet run --project src/Hephaestus.Server -- token --user you@example.org --role admin
                             then: curl -H "Authorization: Bearer <token>" {address}/api/v1/users/me
            Stop with Ctrl+C; PostgreSQL is shut down cleanly and the data is kept.

            """);
    }
}
