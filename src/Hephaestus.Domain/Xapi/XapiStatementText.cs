using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Hephaestus.Domain.Xapi;

/// <summary>What the LRS adds to a Statement when it stores it.</summary>
/// <param name="Id">The Statement's id (the client's, or one the LRS made).</param>
/// <param name="Stored">The stored time, as the LRS writes it (UTC, ISO 8601).</param>
/// <param name="AuthorityJson">The authority Agent as JSON, following the credentials.</param>
public sealed record XapiAdditions(Guid Id, string Stored, string AuthorityJson);

/// <summary>
/// The text of a Statement as stored and as returned. The rule that keeps <c>format=exact</c> byte for byte: the stored
/// text is the client's own bytes of that Statement (its JSON value, without the whitespace around it), changed only
/// where the LRS must: the properties it sets and the client left out (<c>id</c>, <c>stored</c>, <c>authority</c>,
/// <c>version</c> 2.0.0, <c>timestamp</c> = stored) are inserted right after the opening brace; the values of
/// <c>stored</c> and <c>authority</c> the client sent are replaced in place (the LRS must overwrite them); a single
/// context Activity is wrapped in <c>[ ]</c> where it stands (the LRS must return every contextActivities value as an
/// array). Every other byte (whitespace, key order, escapes) is the client's.
/// </summary>
public static class XapiStatementText
{
    static readonly JsonSerializerOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The Statement as stored: the client's text with the LRS's additions (see the class).</summary>
    public static string Complete(string clientText, XapiAdditions additions)
    {
        var bytes = Encoding.UTF8.GetBytes(clientText);
        var edits = new List<(int At, int Remove, string Insert)>();
        var top = Members(bytes, 0);
        var inserted = new StringBuilder();
        if (!top.Members.ContainsKey("id")) inserted.Append("\"id\":\"").Append(additions.Id.ToString("D")).Append("\",");
        Set(top, "stored", JsonSerializer.Serialize(additions.Stored), inserted, edits);
        Set(top, "authority", additions.AuthorityJson, inserted, edits);
        if (!top.Members.ContainsKey("version")) inserted.Append("\"version\":\"").Append(XapiFormats.CurrentVersion).Append("\",");
        if (!top.Members.ContainsKey("timestamp")) inserted.Append("\"timestamp\":").Append(JsonSerializer.Serialize(additions.Stored)).Append(',');
        if (inserted.Length > 0)
        {
            if (top.Members.Count == 0) inserted.Length--;
            edits.Add((top.Open + 1, 0, inserted.ToString()));
        }

        WrapContextActivities(bytes, top, edits);
        if (top.Members.TryGetValue("object", out var obj) && bytes[obj.ValueStart] == (byte)'{')
        {
            var sub = Members(bytes, obj.ValueStart);
            if (sub.Members.TryGetValue("objectType", out var type) && Encoding.UTF8.GetString(bytes, type.ValueStart, type.ValueEnd - type.ValueStart) == "\"SubStatement\"")
            {
                WrapContextActivities(bytes, sub, edits);
            }
        }

        var result = new StringBuilder(clientText.Length + 256);
        var position = 0;
        foreach (var (at, remove, insert) in edits.OrderBy(e => e.At).ThenBy(e => e.Remove))
        {
            result.Append(Encoding.UTF8.GetString(bytes, position, at - position)).Append(insert);
            position = at + remove;
        }

        return result.Append(Encoding.UTF8.GetString(bytes, position, bytes.Length - position)).ToString();
    }

    static void Set(ObjectSpans spans, string name, string value, StringBuilder inserted, List<(int, int, string)> edits)
    {
        if (spans.Members.TryGetValue(name, out var member)) edits.Add((member.ValueStart, member.ValueEnd - member.ValueStart, value));
        else inserted.Append('"').Append(name).Append("\":").Append(value).Append(',');
    }

    static void WrapContextActivities(byte[] bytes, ObjectSpans statement, List<(int, int, string)> edits)
    {
        if (!statement.Members.TryGetValue("context", out var context) || bytes[context.ValueStart] != (byte)'{') return;
        var contextMembers = Members(bytes, context.ValueStart);
        if (!contextMembers.Members.TryGetValue("contextActivities", out var activities) || bytes[activities.ValueStart] != (byte)'{') return;
        foreach (var kind in Members(bytes, activities.ValueStart).Members.Values)
        {
            if (bytes[kind.ValueStart] != (byte)'{') continue;
            edits.Add((kind.ValueStart, 0, "["));
            edits.Add((kind.ValueEnd, 0, "]"));
        }
    }

    sealed record Span(int ValueStart, int ValueEnd);

    sealed record ObjectSpans(int Open, Dictionary<string, Span> Members);

    /// <summary>The byte spans of an object's members' values (the object starting at <paramref name="start"/>).</summary>
    static ObjectSpans Members(byte[] json, int start)
    {
        var reader = new Utf8JsonReader(json.AsSpan(start));
        reader.Read();
        var open = start + (int)reader.TokenStartIndex;
        var members = new Dictionary<string, Span>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString()!;
            reader.Read();
            var valueStart = start + (int)reader.TokenStartIndex;
            if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray) reader.Skip();
            members.TryAdd(name, new(valueStart, start + (int)reader.BytesConsumed));
        }

        return new(open, members);
    }

    /// <summary>
    /// <c>format=ids</c>: Agents and Groups reduced to their identifier (and an anonymous Group's members to theirs),
    /// Activities and Verbs to their id.
    /// </summary>
    public static string Ids(string storedText)
    {
        var statement = JsonNode.Parse(storedText)!.AsObject();
        IdsStatement(statement);
        if (statement["authority"] is JsonObject authority) IdsAgent(authority);
        return statement.ToJsonString(Compact);
    }

    static void IdsStatement(JsonObject statement)
    {
        if (statement["actor"] is JsonObject actor) IdsAgent(actor);
        if (statement["verb"] is JsonObject verb) verb.Remove("display");
        if (statement["object"] is JsonObject obj)
        {
            switch (obj["objectType"]?.GetValue<string>() ?? "Activity")
            {
                case "Activity": obj.Remove("definition"); break;
                case "Agent" or "Group": IdsAgent(obj); break;
                case "SubStatement": IdsStatement(obj); break;
            }
        }

        if (statement["context"] is not JsonObject context) return;
        if (context["instructor"] is JsonObject instructor) IdsAgent(instructor);
        if (context["team"] is JsonObject team) IdsAgent(team);
        if (context["contextActivities"] is JsonObject kinds)
        {
            foreach (var (_, list) in kinds)
            {
                foreach (var activity in list!.AsArray().OfType<JsonObject>()) activity.Remove("definition");
            }
        }

        foreach (var (name, member) in new[] { ("contextAgents", "agent"), ("contextGroups", "group") })
        {
            if (context[name] is JsonArray items)
            {
                foreach (var item in items.OfType<JsonObject>())
                {
                    if (item[member] is JsonObject agent) IdsAgent(agent);
                }
            }
        }
    }

    static void IdsAgent(JsonObject agent)
    {
        agent.Remove("name");
        var identified = agent.ContainsKey("mbox") || agent.ContainsKey("mbox_sha1sum") || agent.ContainsKey("openid") || agent.ContainsKey("account");
        if (identified) agent.Remove("member");
        else if (agent["member"] is JsonArray members)
        {
            foreach (var member in members.OfType<JsonObject>()) IdsAgent(member);
        }
    }

    /// <summary>
    /// <c>format=canonical</c>: every language map (a Verb's display, an Activity's name and description, an
    /// attachment's display and description, interaction components' descriptions) reduced to the one entry that best
    /// fits the reader's languages (<paramref name="languages"/>, most preferred first: an exact tag, then the same
    /// primary language, else the map's first entry). Activity definitions are those the Statement carries: this LRS
    /// keeps no canonical definition of its own yet.
    /// </summary>
    public static string Canonical(string storedText, IReadOnlyList<string> languages)
    {
        var statement = JsonNode.Parse(storedText)!;
        Reduce(statement, languages);
        return statement.ToJsonString(Compact);
    }

    static readonly HashSet<string> LanguageMapNames = new(StringComparer.Ordinal) { "display", "name", "description" };

    static void Reduce(JsonNode node, IReadOnlyList<string> languages)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (name, value) in obj.ToList())
                {
                    if (name == "extensions" || value is null) continue;
                    if (LanguageMapNames.Contains(name) && value is JsonObject map && map.Count > 1) obj[name] = Best(map, languages);
                    else Reduce(value, languages);
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    if (item is not null) Reduce(item, languages);
                }

                break;
        }
    }

    static JsonObject Best(JsonObject map, IReadOnlyList<string> languages)
    {
        string? chosen = null;
        foreach (var language in languages)
        {
            chosen = map.Select(e => e.Key).FirstOrDefault(k => string.Equals(k, language, StringComparison.OrdinalIgnoreCase))
                ?? map.Select(e => e.Key).FirstOrDefault(k => Primary(k).Equals(Primary(language), StringComparison.OrdinalIgnoreCase));
            if (chosen is not null) break;
        }

        chosen ??= map.First().Key;
        return new JsonObject { [chosen] = map[chosen]!.DeepClone() };
    }

    static string Primary(string tag) => tag.Split('-')[0];
}
