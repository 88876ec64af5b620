using System.Text.Json;
using System.Text.RegularExpressions;
using Hephaestus.Data.Xapi;
using Hephaestus.Server.Api;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.OpenApi;
using Npgsql;

namespace Hephaestus.Server.Features.Xapi;

/// <summary>An account of an Agent or Person: the system's home page and the name on it.</summary>
public sealed record XapiAccount(string HomePage, string Name);

/// <summary>
/// The Person object of GET /xapi/agents: every name and identifier the LRS knows for the person an agent names. Members
/// the LRS knows nothing of are left out of the JSON (the serializer omits nulls here by attribute).
/// </summary>
public sealed record XapiPerson(
    string ObjectType,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? Name,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? Mbox,
    [property: System.Text.Json.Serialization.JsonPropertyName("mbox_sha1sum")]
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? MboxSha1Sum,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? Openid,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<XapiAccount>? Account);

/// <summary>
/// Agents as the query parameters of the document and Agents resources carry them (a JSON Agent object), checked as the
/// specification's Agent table says: an object, objectType "Agent" when present, exactly one inverse functional
/// identifier (mbox as mailto:, mbox_sha1sum as 40 hex digits, openid as an absolute URI, account with an absolute
/// homePage and a name), an optional name, and nothing else. The Statements resource validates agents in full
/// (Domain/Xapi); this is the documents' own small check until the two are merged.
/// </summary>
public static partial class XapiAgentsApi
{
    static readonly string[] Identifiers = ["mbox", "mbox_sha1sum", "openid", "account"];

    public static IEndpointRouteBuilder MapXapiAgents(this IEndpointRouteBuilder xapi)
    {
        xapi.MapGet("/agents", GetPerson).WithName("XapiGetPerson")
            .WithSummary("Read the Person an agent names")
            .WithDescription("The xAPI Person object for `agent` (a JSON Agent): every name, mbox and account the LRS knows for that person. "
                + "For a Hephaestus user (an mbox with their email, or an account on Xapi:AccountHomePage named by their user id) that is their "
                + "display name, email and account, shown to admins, activity providers (a cohort-scoped one only for its learners) and the user "
                + "themselves; anyone else, and any agent the LRS does not know, gets the Person made of the agent as sent.")
            .WithQueryParameters(AgentParameter("The agent (a JSON Agent object with one identifier)."))
            .ProducesProblems(StatusCodes.Status400BadRequest);
        return xapi;
    }

    static async Task<Results<Ok<XapiPerson>, ValidationProblem>> GetPerson(HttpContext http, NpgsqlDataSource db, IConfiguration configuration, CancellationToken ct)
    {
        var query = new XapiQuery(http.Request, "agent");
        var agent = query.Agent("agent", required: true);
        if (!query.Validation.IsValid || agent is null) return query.Validation.ToProblem();
        var caller = XapiApi.Caller(http, configuration);
        var user = await XapiAgents.FindAsync(db, caller.Actor, XapiAgents.UserKey(agent, caller.AccountHomePage), caller.IsProvider ? caller.LearnerScope : null, ct);
        var names = new List<string>();
        var mboxes = new List<string>();
        var accounts = new List<XapiAccount>();
        if (AgentName(http.Request.Query["agent"].ToString()) is { } sentName) names.Add(sentName);
        if (agent.Mbox is not null) mboxes.Add(agent.Mbox);
        if (agent.AccountHomePage is not null) accounts.Add(new XapiAccount(agent.AccountHomePage, agent.AccountName!));
        if (user is not null)
        {
            if (!names.Contains(user.DisplayName, StringComparer.Ordinal)) names.Add(user.DisplayName);
            var mbox = "mailto:" + user.Email;
            if (!mboxes.Contains(mbox, StringComparer.Ordinal)) mboxes.Add(mbox);
            var account = new XapiAccount(caller.AccountHomePage, user.Id.ToString());
            if (!accounts.Contains(account)) accounts.Add(account);
        }

        return TypedResults.Ok(new XapiPerson("Person", names.Count > 0 ? names : null, mboxes.Count > 0 ? mboxes : null,
            agent.MboxSha1Sum is null ? null : [agent.MboxSha1Sum], agent.OpenId is null ? null : [agent.OpenId], accounts.Count > 0 ? accounts : null));
    }

    internal static OpenApiParameter AgentParameter(string description) => XapiQuery.Parameter("agent",
        description + " Example: `{\"mbox\":\"mailto:ada@example.org\"}` or `{\"account\":{\"homePage\":\"https://lms.example\",\"name\":\"42\"}}`.",
        required: true, maxLength: 4096);

    /// <summary>Parses an Agent object; on any mistake adds field errors under <paramref name="pointer"/> and returns null.</summary>
    public static XapiAgentIdentity? Parse(string json, Validation v, string pointer)
    {
        ArgumentNullException.ThrowIfNull(v);
        JsonElement agent;
        try
        {
            using var document = JsonDocument.Parse(json);
            agent = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            v.Add(pointer, "must be a JSON Agent object");
            return null;
        }

        if (agent.ValueKind != JsonValueKind.Object)
        {
            v.Add(pointer, "must be a JSON Agent object");
            return null;
        }

        var valid = true;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in agent.EnumerateObject())
        {
            if (!seen.Add(property.Name))
            {
                valid = Fail(v, $"{pointer}/{property.Name}", "must occur once");
                continue;
            }

            switch (property.Name)
            {
                case "objectType" when property.Value.ValueKind != JsonValueKind.String || property.Value.GetString() != "Agent":
                    valid = Fail(v, $"{pointer}/objectType", "must be \"Agent\" (a document belongs to one agent, not a group)");
                    break;
                case "name" when property.Value.ValueKind != JsonValueKind.String:
                    valid = Fail(v, $"{pointer}/name", "must be a string");
                    break;
                case "objectType" or "name" or "mbox" or "mbox_sha1sum" or "openid" or "account":
                    break;
                default:
                    valid = Fail(v, $"{pointer}/{property.Name}", "is not a property of an Agent");
                    break;
            }
        }

        var given = Identifiers.Where(seen.Contains).ToList();
        if (given.Count != 1) return Invalid(v, pointer, "must have exactly one of mbox, mbox_sha1sum, openid, account");
        if (!valid) return null;
        var value = agent.GetProperty(given[0]);
        switch (given[0])
        {
            case "mbox":
                var mbox = value.ValueKind == JsonValueKind.String ? value.GetString()! : "";
                return mbox.StartsWith("mailto:", StringComparison.Ordinal) && MailAddress().IsMatch(mbox[7..]) && mbox.Length <= 330
                    ? new XapiAgentIdentity(mbox, null, null, null, null)
                    : Invalid(v, $"{pointer}/mbox", "must be a mailto IRI (mailto:name@example.org)");
            case "mbox_sha1sum":
                var sum = value.ValueKind == JsonValueKind.String ? value.GetString()! : "";
                return Sha1Hex().IsMatch(sum)
                    ? new XapiAgentIdentity(null, sum.ToLowerInvariant(), null, null, null)
                    : Invalid(v, $"{pointer}/mbox_sha1sum", "must be 40 hexadecimal digits (the SHA-1 of a mailto IRI)");
            case "openid":
                var openId = value.ValueKind == JsonValueKind.String ? value.GetString()! : "";
                return IsAbsoluteIri(openId) && openId.Length <= XapiQuery.MaxIdLength
                    ? new XapiAgentIdentity(null, null, openId, null, null)
                    : Invalid(v, $"{pointer}/openid", "must be an absolute URI");
            default:
                return Account(value, v, $"{pointer}/account");
        }
    }

    static XapiAgentIdentity? Account(JsonElement account, Validation v, string pointer)
    {
        if (account.ValueKind != JsonValueKind.Object) return Invalid(v, pointer, "must be an object with homePage and name");
        string? homePage = null, name = null;
        foreach (var property in account.EnumerateObject())
        {
            switch (property.Name)
            {
                case "homePage" when property.Value.ValueKind == JsonValueKind.String && homePage is null:
                    homePage = property.Value.GetString();
                    break;
                case "name" when property.Value.ValueKind == JsonValueKind.String && name is null:
                    name = property.Value.GetString();
                    break;
                default:
                    return Invalid(v, $"{pointer}/{property.Name}", "must be homePage or name, once each, as strings");
            }
        }

        if (homePage is null || !IsAbsoluteIri(homePage) || homePage.Length > 1000) return Invalid(v, $"{pointer}/homePage", "must be an absolute IRL");
        return string.IsNullOrEmpty(name) || name.Length > 1000
            ? Invalid(v, $"{pointer}/name", "must be 1 to 1000 characters long")
            : new XapiAgentIdentity(null, null, null, homePage, name);
    }

    /// <summary>The name an agent parameter carries, for the Person it makes; null without one (or when it is malformed).</summary>
    static string? AgentName(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String ? name.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>An absolute IRI: a scheme and something after it (what .NET's URI parser accepts as absolute).</summary>
    public static bool IsAbsoluteIri(string value) => Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme.Length > 0;

    static bool Fail(Validation v, string pointer, string message)
    {
        v.Add(pointer, message);
        return false;
    }

    static XapiAgentIdentity? Invalid(Validation v, string pointer, string message)
    {
        v.Add(pointer, message);
        return null;
    }

    [GeneratedRegex(@"^[^@\s]+@[^@\s]+$")]
    private static partial Regex MailAddress();

    [GeneratedRegex("^[0-9a-fA-F]{40}$")]
    private static partial Regex Sha1Hex();
}
