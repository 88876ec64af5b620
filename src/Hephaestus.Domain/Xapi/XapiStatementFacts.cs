using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Hephaestus.Domain.Xapi;

/// <summary>An attachment's header as a Statement declares it.</summary>
public sealed record XapiAttachmentHeader(string UsageType, string ContentType, long Length, string Sha2, string? FileUrl)
{
    public bool IsSignature => UsageType == XapiStatementValidator.SignatureUsageType;
}

/// <summary>
/// What the LRS reads out of a valid Statement to store, index and query it: the actor's identifier, the verb, the
/// object, the figures of the result, the registration, the keys of every agent and activity it relates to (for the
/// <c>agent</c>, <c>activity</c>, <c>related_agents</c> and <c>related_activities</c> filters) and the target of a
/// voiding. Agents are keyed by their inverse functional identifier (<see cref="AgentKeys"/>).
/// </summary>
public sealed record XapiStatementFacts(
    Guid? Id,
    JsonElement Actor,
    string Verb,
    string ObjectType,
    string ObjectId,
    DateTimeOffset? Timestamp,
    string? Version,
    Guid? Registration,
    double? ScoreScaled,
    long? DurationMs,
    Guid? Voids,
    IReadOnlyList<string> AgentKeys,
    IReadOnlyList<string> RelatedAgentKeys,
    IReadOnlyList<string> RelatedActivityIds,
    IReadOnlyList<XapiAttachmentHeader> Attachments)
{
    /// <summary>
    /// The Activity definitions the Statement carries (its object, its context Activities, and those of a SubStatement),
    /// in document order, for the LRS's canonical definitions (GET /xapi/activities).
    /// </summary>
    public IReadOnlyList<(string Id, JsonElement Definition)> ActivityDefinitions { get; init; } = [];

    /// <summary>Reads a Statement that <see cref="XapiStatementValidator"/> found valid.</summary>
    public static XapiStatementFacts From(JsonElement statement)
    {
        var actor = statement.GetProperty("actor");
        var verb = statement.GetProperty("verb").GetProperty("id").GetString()!;
        var obj = statement.GetProperty("object");
        var objectType = Str(obj, "objectType") ?? "Activity";
        var objectId = objectType switch
        {
            "Activity" or "StatementRef" => Str(obj, "id")!,
            "Agent" or "Group" => Keys(obj).FirstOrDefault() ?? "anonymous-group",
            _ => "SubStatement",
        };
        var agentKeys = Keys(actor).ToList();
        if (objectType is "Agent" or "Group") agentKeys.AddRange(Keys(obj));
        var related = new List<string>();
        var activities = new List<string>();
        var definitions = new List<(string, JsonElement)>();
        Related(statement, related, activities, definitions);
        if (statement.TryGetProperty("authority", out var authority)) related.AddRange(Keys(authority, members: true));
        double? scaled = null;
        long? durationMs = null;
        if (statement.TryGetProperty("result", out var result))
        {
            if (result.TryGetProperty("score", out var score) && score.TryGetProperty("scaled", out var s)) scaled = s.GetDouble();
            if (Str(result, "duration") is { } duration) durationMs = XapiFormats.DurationMilliseconds(duration);
        }

        Guid? registration = statement.TryGetProperty("context", out var context) && Str(context, "registration") is { } r ? Guid.Parse(r) : null;
        DateTimeOffset? timestamp = Str(statement, "timestamp") is { } t && XapiFormats.TryParseTimestamp(t, out var parsed) ? parsed : null;
        var attachments = new List<XapiAttachmentHeader>();
        if (statement.TryGetProperty("attachments", out var list))
        {
            foreach (var a in list.EnumerateArray())
            {
                attachments.Add(new(Str(a, "usageType")!, Str(a, "contentType")!, a.GetProperty("length").GetInt64(), Str(a, "sha2")!.ToLowerInvariant(), Str(a, "fileUrl")));
            }
        }

        return new(
            Str(statement, "id") is { } id ? Guid.Parse(id) : null,
            actor, verb, objectType, objectId, timestamp, Str(statement, "version"), registration, scaled, durationMs,
            verb == XapiStatementValidator.VoidedVerb && objectType == "StatementRef" ? Guid.Parse(objectId) : null,
            agentKeys.Distinct(StringComparer.Ordinal).ToList(),
            related.Distinct(StringComparer.Ordinal).ToList(),
            activities.Distinct(StringComparer.Ordinal).ToList(),
            attachments)
        { ActivityDefinitions = definitions };
    }

    /// <summary>The agents and activities a Statement (or its SubStatement) relates to, for related_agents and related_activities.</summary>
    static void Related(JsonElement statement, List<string> agents, List<string> activities, List<(string, JsonElement)> definitions)
    {
        void Activity(JsonElement activity)
        {
            var id = Str(activity, "id")!;
            activities.Add(id);
            if (activity.TryGetProperty("definition", out var definition) && definition.ValueKind == JsonValueKind.Object) definitions.Add((id, definition));
        }

        agents.AddRange(Keys(statement.GetProperty("actor"), members: true));
        var obj = statement.GetProperty("object");
        switch (Str(obj, "objectType") ?? "Activity")
        {
            case "Activity": Activity(obj); break;
            case "Agent" or "Group": agents.AddRange(Keys(obj, members: true)); break;
            case "SubStatement": Related(obj, agents, activities, definitions); break;
        }

        if (!statement.TryGetProperty("context", out var context)) return;
        foreach (var name in new[] { "instructor", "team" })
        {
            if (context.TryGetProperty(name, out var agent)) agents.AddRange(Keys(agent, members: true));
        }

        if (context.TryGetProperty("contextAgents", out var contextAgents))
        {
            foreach (var item in contextAgents.EnumerateArray()) agents.AddRange(Keys(item.GetProperty("agent")));
        }

        if (context.TryGetProperty("contextGroups", out var contextGroups))
        {
            foreach (var item in contextGroups.EnumerateArray()) agents.AddRange(Keys(item.GetProperty("group"), members: true));
        }

        if (context.TryGetProperty("contextActivities", out var kinds))
        {
            foreach (var kind in kinds.EnumerateObject())
            {
                if (kind.Value.ValueKind == JsonValueKind.Array)
                {
                    foreach (var activity in kind.Value.EnumerateArray()) Activity(activity);
                }
                else
                {
                    Activity(kind.Value);
                }
            }
        }
    }

    static string? Str(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>
    /// The keys of an Agent or Group's inverse functional identifier (with its members' when asked): <c>mbox:mailto:…</c>
    /// (its domain lowercased, as the specification says the domain is case-insensitive) together with the
    /// <c>mbox_sha1sum:…</c> of that mailto IRI (so a query by either finds both), <c>mbox_sha1sum:…</c>, <c>openid:…</c>,
    /// <c>account:homePage|name</c>.
    /// </summary>
    public static IEnumerable<string> Keys(JsonElement agent, bool members = false)
    {
        if (agent.ValueKind != JsonValueKind.Object) yield break;
        if (Str(agent, "mbox") is { } mbox)
        {
            var normal = NormalMbox(mbox);
            yield return "mbox:" + normal;
            yield return "mbox_sha1sum:" + MboxSha1(normal);
        }

        if (Str(agent, "mbox_sha1sum") is { } sha1) yield return "mbox_sha1sum:" + sha1.ToLowerInvariant();
        if (Str(agent, "openid") is { } openid) yield return "openid:" + openid;
        if (agent.TryGetProperty("account", out var account) && Str(account, "homePage") is { } home && Str(account, "name") is { } name)
        {
            yield return "account:" + home + "|" + name;
        }

        if (members && agent.TryGetProperty("member", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (var member in list.EnumerateArray())
            {
                foreach (var key in Keys(member)) yield return key;
            }
        }
    }

    /// <summary>A mailto IRI with its domain in lowercase (the local part is left as sent: it may be case-sensitive).</summary>
    public static string NormalMbox(string mbox)
    {
        var at = mbox.LastIndexOf('@');
        return at < 0 ? mbox : mbox[..at] + mbox[at..].ToLowerInvariant();
    }

    /// <summary>The hex SHA-1 of a mailto IRI, as mbox_sha1sum carries it.</summary>
    public static string MboxSha1(string mbox) => Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(mbox)));
}
