using System.Text.Json;
using Hephaestus.Domain.Xapi;
using Npgsql;
using static Hephaestus.Data.SqlParameters;

namespace Hephaestus.Data.Xapi;

/// <summary>A Hephaestus user an xAPI agent names: the id, and the name and email a Person object shows.</summary>
public sealed record XapiAgentUser(Guid Id, string Email, string DisplayName);

/// <summary>
/// xAPI Agents and Hephaestus users: the one mapping, for Statements, documents and the Agents resource. An Agent names a
/// user by <c>mbox</c> (mailto: the user's email, ignoring case), <c>mbox_sha1sum</c> (the SHA-1 of that mailto IRI,
/// lowercased) or <c>account</c> {homePage = the service's xAPI home page (Xapi:AccountHomePage), name = the user id};
/// an <c>openid</c>, another home page or an unknown address names nobody. The lookup is
/// <c>hephaestus.xapi_agent_users</c> (SECURITY DEFINER: an activity provider reads no users), which answers only for
/// users the actor may write for, and for a provider scoped to a cohort only for that cohort's learners. (The native
/// event path names learners by user id and takes no provider credentials, so it needs no mapping.)
/// </summary>
public static class XapiAgents
{
    const string Lookup = "SELECT agent_key, user_id, email, display_name FROM hephaestus.xapi_agent_users($1, $2)";

    /// <summary>The lookup key of the user an Agent (as a Statement carries it) may name, or null when its identifier can never name one.</summary>
    public static string? UserKey(JsonElement agent, string accountHomePage)
    {
        if (agent.ValueKind != JsonValueKind.Object) return null;
        string? Text(JsonElement element, string name) =>
            element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        var account = agent.TryGetProperty("account", out var a) && a.ValueKind == JsonValueKind.Object ? a : default;
        return UserKey(Text(agent, "mbox"), Text(agent, "mbox_sha1sum"),
            account.ValueKind == JsonValueKind.Object ? Text(account, "homePage") : null,
            account.ValueKind == JsonValueKind.Object ? Text(account, "name") : null, accountHomePage);
    }

    /// <summary>The lookup key of the user an Agent (as a document or Agents request names it) may name, or null.</summary>
    public static string? UserKey(XapiAgentIdentity agent, string accountHomePage)
    {
        ArgumentNullException.ThrowIfNull(agent);
        return UserKey(agent.Mbox, agent.MboxSha1Sum, agent.AccountHomePage, agent.AccountName, accountHomePage);
    }

    static string? UserKey(string? mbox, string? mboxSha1Sum, string? homePage, string? accountName, string accountHomePage)
    {
        if (mbox is not null)
        {
            return mbox.StartsWith("mailto:", StringComparison.OrdinalIgnoreCase) ? "mbox:" + mbox["mailto:".Length..] : null;
        }

        if (mboxSha1Sum is not null) return "mbox_sha1sum:" + mboxSha1Sum.ToLowerInvariant();
        return homePage is not null && SameHomePage(homePage, accountHomePage) && Guid.TryParse(accountName, out var id) ? "account:" + id.ToString("D") : null;
    }

    static bool SameHomePage(string a, string b) => string.Equals(a.TrimEnd('/'), b.TrimEnd('/'), StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The users the keys name, for the actor (keys naming nobody it may write for are absent); <paramref name="learnerScope"/>
    /// is a scoped provider's cohort.
    /// </summary>
    public static async Task<Dictionary<string, XapiAgentUser>> UsersAsync(ActorScope scope, IReadOnlyCollection<string> keys, Guid? learnerScope, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(keys);
        if (keys.Count == 0) return new Dictionary<string, XapiAgentUser>(StringComparer.Ordinal);
        await using var batch = scope.Batch();
        batch.BatchCommands.Add(UsersCommand(keys, learnerScope));
        await using var reader = await batch.ExecuteReaderAsync(ct);
        return await ReadUsersAsync(reader, ct);
    }

    /// <summary>The lookup of <see cref="UsersAsync"/> as a command, for a caller that sends it in a batch with its own.</summary>
    public static NpgsqlBatchCommand UsersCommand(IReadOnlyCollection<string> keys, Guid? learnerScope)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var command = new NpgsqlBatchCommand(Lookup);
        command.Parameters.Add(TextArray([.. keys]));
        command.Parameters.Add(NullableUuid(learnerScope));
        return command;
    }

    /// <summary>The users of <see cref="UsersCommand"/>'s result (the reader positioned on it).</summary>
    public static async Task<Dictionary<string, XapiAgentUser>> ReadUsersAsync(NpgsqlDataReader reader, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var users = new Dictionary<string, XapiAgentUser>(StringComparer.Ordinal);
        while (await reader.ReadAsync(ct)) users.TryAdd(reader.GetString(0), new XapiAgentUser(reader.GetGuid(1), reader.GetString(2), reader.GetString(3)));
        return users;
    }

    /// <summary>The user one key names, as the actor may see them; null for none (or none of the actor's to know).</summary>
    public static async Task<XapiAgentUser?> FindAsync(ActorScope scope, string? key, Guid? learnerScope, CancellationToken ct) =>
        key is null ? null : (await UsersAsync(scope, [key], learnerScope, ct)).GetValueOrDefault(key);

    /// <summary>As <see cref="FindAsync(ActorScope, string?, Guid?, CancellationToken)"/>, in a transaction of its own.</summary>
    public static async Task<XapiAgentUser?> FindAsync(NpgsqlDataSource db, Actor actor, string? key, Guid? learnerScope, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        var user = await FindAsync(scope, key, learnerScope, ct);
        await scope.CommitAsync(ct);
        return user;
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
