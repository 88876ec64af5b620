using System.Text.Json;
using Hephaestus.Domain.Xapi;
using Npgsql;
using static Hephaestus.Data.SqlParameters;

namespace Hephaestus.Data.Xapi;

/// <summary>
/// xAPI Agents and Hephaestus users. An Agent names a user by <c>mbox</c> (mailto: the user's email, ignoring case),
/// <c>mbox_sha1sum</c> (the SHA-1 of that mailto IRI, lowercased) or <c>account</c> {homePage = the service's xAPI
/// home page (Xapi:AccountHomePage), name = the user id}; an <c>openid</c>, another home page or an unknown address
/// names nobody. The lookup is <c>hephaestus.xapi_agent_users</c> (SECURITY DEFINER: an activity provider reads no
/// users), which answers only for users the actor may write for.
/// </summary>
public static class XapiAgents
{
    /// <summary>The lookup key of the user an Agent may name, or null when its identifier can never name one.</summary>
    public static string? UserKey(JsonElement agent, string accountHomePage)
    {
        if (agent.ValueKind != JsonValueKind.Object) return null;
        if (agent.TryGetProperty("mbox", out var mbox) && mbox.ValueKind == JsonValueKind.String)
        {
            return "mbox:" + mbox.GetString()!["mailto:".Length..];
        }

        if (agent.TryGetProperty("mbox_sha1sum", out var sha1) && sha1.ValueKind == JsonValueKind.String) return "mbox_sha1sum:" + sha1.GetString()!.ToLowerInvariant();
        if (agent.TryGetProperty("account", out var account) && account.ValueKind == JsonValueKind.Object
            && account.TryGetProperty("homePage", out var home) && home.ValueKind == JsonValueKind.String
            && account.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String
            && SameHomePage(home.GetString()!, accountHomePage) && Guid.TryParse(name.GetString(), out var id))
        {
            return "account:" + id.ToString("D");
        }

        return null;
    }

    static bool SameHomePage(string a, string b) => string.Equals(a.TrimEnd('/'), b.TrimEnd('/'), StringComparison.OrdinalIgnoreCase);

    /// <summary>The users the keys name, for the actor (keys naming nobody it may write for are absent).</summary>
    public static async Task<Dictionary<string, Guid>> UsersAsync(ActorScope scope, IReadOnlyCollection<string> keys, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        var users = new Dictionary<string, Guid>(StringComparer.Ordinal);
        if (keys.Count == 0) return users;
        await using var command = scope.Command("SELECT agent_key, user_id FROM hephaestus.xapi_agent_users($1)");
        command.Parameters.Add(TextArray([.. keys]));
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) users.TryAdd(reader.GetString(0), reader.GetGuid(1));
        return users;
    }

    /// <summary>Whether the key names the actor themselves.</summary>
    public static async Task<bool> NamesActorAsync(NpgsqlDataSource db, Actor actor, string key, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        return (await UsersAsync(scope, [key], ct)).TryGetValue(key, out var user) && user == actor.UserId;
    }

    /// <summary>A user as an xAPI Agent: their account on this service (the authority of what they send with their own token).</summary>
    public static string UserAgentJson(Guid userId, string accountHomePage) => JsonSerializer.Serialize(new
    {
        objectType = "Agent",
        account = new { homePage = accountHomePage, name = userId.ToString("D") },
    });

    /// <summary>An activity provider as an xAPI Agent: an account on this service's provider home page, named by the provider's name.</summary>
    public static string ProviderAgentJson(string providerName, string accountHomePage) => JsonSerializer.Serialize(new
    {
        objectType = "Agent",
        name = providerName,
        account = new { homePage = accountHomePage.TrimEnd('/') + "/xapi/providers", name = providerName },
    });

    /// <summary>The keys Statements are filtered by for an Agent or identified Group given as the <c>agent</c> parameter.</summary>
    public static string[] FilterKeys(JsonElement agent) => [.. XapiStatementFacts.Keys(agent)];
}
