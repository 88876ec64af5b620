using System.Text.Json;

namespace Hephaestus.Domain.Xapi;

/// <summary>
/// Every MUST of the xAPI 2.0 Statement data model (xAPI-Data.md part 2), checked on the JSON as received: allowed
/// properties only (an unknown one is refused, as the specification recommends), each at most once, no nulls outside
/// extensions, types exact (no numbers as strings), enumerated values and keys in their exact case, and the formats of
/// <see cref="XapiFormats"/>. Every error is collected with the JSON pointer of the bad value (<c>/0/actor/mbox</c>).
/// </summary>
public static class XapiStatementValidator
{
    public const string VoidedVerb = "http://adlnet.gov/expapi/verbs/voided";
    public const string SignatureUsageType = "http://adlnet.gov/expapi/attachments/signature";

    static readonly string[] StatementProperties =
        ["id", "actor", "verb", "object", "result", "context", "timestamp", "stored", "authority", "version", "attachments"];
    static readonly string[] SubStatementProperties = ["objectType", "actor", "verb", "object", "result", "context", "timestamp", "attachments"];
    static readonly string[] InteractionTypes = ["true-false", "choice", "fill-in", "long-fill-in", "matching", "performance", "sequencing", "likert", "numeric", "other"];
    static readonly string[] ComponentLists = ["choices", "scale", "source", "target", "steps"];
    static readonly string[] ContextActivityKinds = ["parent", "grouping", "category", "other"];

    /// <summary>The errors of one Statement (empty when it is valid), pointers prefixed with <paramref name="path"/>.</summary>
    public static IReadOnlyList<ValidationError> Validate(JsonElement statement, string path = "")
    {
        var errors = new List<ValidationError>();
        new Walker(errors).Statement(statement, path, sub: false);
        return errors;
    }

    /// <summary>
    /// The errors of an Agent or identified Group given as a query parameter (<c>agent</c>): the same rules as in a
    /// Statement, and a Group must be identified (an anonymous Group names no one to filter by).
    /// </summary>
    public static IReadOnlyList<ValidationError> ValidateAgent(JsonElement agent, string path)
    {
        var errors = new List<ValidationError>();
        new Walker(errors).Actor(agent, path);
        if (errors.Count == 0 && !XapiStatementFacts.Keys(agent).Any()) errors.Add(new(path, "must be an Agent or an identified Group"));
        return errors;
    }

    sealed class Walker(List<ValidationError> errors)
    {
        void Error(string path, string message) => errors.Add(new(path, message));

        static string At(string path, string name) => path + "/" + name.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);

        /// <summary>The object's properties by name after checking it is an object, each name once, allowed, and not null.</summary>
        Dictionary<string, JsonElement>? Open(JsonElement element, string path, IReadOnlyCollection<string> allowed)
        {
            if (element.ValueKind != JsonValueKind.Object)
            {
                Error(path, "must be a JSON object");
                return null;
            }

            // Sized for the object at once, and a pointer made only for an error: this runs for every object of every
            // Statement, and growing dictionaries was a tenth of the xAPI door's CPU (docs/benchmarks.md, learning events).
            var properties = new Dictionary<string, JsonElement>(element.GetPropertyCount(), StringComparer.Ordinal);
            foreach (var property in element.EnumerateObject())
            {
                if (!allowed.Contains(property.Name)) Error(At(path, property.Name), "is not a property allowed here (names are case-sensitive)");
                else if (!properties.TryAdd(property.Name, property.Value)) Error(At(path, property.Name), "appears more than once");
                else if (property.Value.ValueKind == JsonValueKind.Null) Error(At(path, property.Name), "must not be null");
            }

            return properties;
        }

        static JsonElement? Get(Dictionary<string, JsonElement> properties, string name) =>
            properties.TryGetValue(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

        string? Text(Dictionary<string, JsonElement> properties, string path, string name, bool required = false)
        {
            if (Get(properties, name) is not { } value)
            {
                if (required && !properties.ContainsKey(name)) Error(At(path, name), "is required");
                return null;
            }

            if (value.ValueKind == JsonValueKind.String) return value.GetString();
            Error(At(path, name), "must be a string");
            return null;
        }

        void Formatted(Dictionary<string, JsonElement> properties, string path, string name, Func<string, bool> isValid, string what, bool required = false)
        {
            if (Text(properties, path, name, required) is { } text && !isValid(text)) Error(At(path, name), $"must be {what}");
        }

        void Boolean(Dictionary<string, JsonElement> properties, string path, string name)
        {
            if (Get(properties, name) is { ValueKind: not (JsonValueKind.True or JsonValueKind.False) }) Error(At(path, name), "must be true or false");
        }

        double? Number(Dictionary<string, JsonElement> properties, string path, string name)
        {
            if (Get(properties, name) is not { } value) return null;
            if (value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var number) && double.IsFinite(number)) return number;
            Error(At(path, name), "must be a number");
            return null;
        }

        public void Statement(JsonElement element, string path, bool sub)
        {
            if (Open(element, path, sub ? SubStatementProperties : StatementProperties) is not { } p) return;
            if (sub && Text(p, path, "objectType", required: true) is { } type && type != "SubStatement") Error(At(path, "objectType"), "must be SubStatement");
            if (!sub) Formatted(p, path, "id", XapiFormats.IsUuid, "a UUID in its standard string form");
            if (Get(p, "actor") is { } actor) Actor(actor, At(path, "actor"));
            else if (!p.ContainsKey("actor")) Error(At(path, "actor"), "is required");
            var verbId = Get(p, "verb") is { } verb ? Verb(verb, At(path, "verb")) : null;
            if (verbId is null && !p.ContainsKey("verb")) Error(At(path, "verb"), "is required");
            string? objectType = null;
            if (Get(p, "object") is { } obj) objectType = Object(obj, At(path, "object"), sub);
            else if (!p.ContainsKey("object")) Error(At(path, "object"), "is required");
            if (verbId == VoidedVerb && !sub && objectType is not null && objectType != "StatementRef")
            {
                Error(At(At(path, "object"), "objectType"), "must be StatementRef in a voiding statement (verb " + VoidedVerb + ")");
            }

            if (Get(p, "result") is { } result) Result(result, At(path, "result"));
            if (Get(p, "context") is { } context) Context(context, At(path, "context"), objectType == "Activity");
            Formatted(p, path, "timestamp", t => XapiFormats.TryParseTimestamp(t, out _), "an ISO 8601 timestamp with a time zone offset (not -00:00)");
            if (!sub)
            {
                Formatted(p, path, "stored", t => XapiFormats.TryParseTimestamp(t, out _), "an ISO 8601 timestamp with a time zone offset");
                if (Get(p, "authority") is { } authority) Actor(authority, At(path, "authority"));
                Formatted(p, path, "version", XapiFormats.IsAcceptedVersion, "a version starting with 1.0. or 2.0.");
            }

            if (Get(p, "attachments") is { } attachments) Array(attachments, At(path, "attachments"), Attachment);
        }

        void Array(JsonElement element, string path, Action<JsonElement, string> item, bool nonEmpty = false)
        {
            if (element.ValueKind != JsonValueKind.Array)
            {
                Error(path, "must be an array");
                return;
            }

            if (nonEmpty && element.GetArrayLength() == 0) Error(path, "must not be empty");
            var i = 0;
            foreach (var value in element.EnumerateArray())
            {
                var at = path + "/" + i++;
                if (value.ValueKind == JsonValueKind.Null) Error(at, "must not be null");
                else item(value, at);
            }
        }

        /// <summary>An Agent or a Group, by objectType (absent: Agent).</summary>
        public void Actor(JsonElement element, string path)
        {
            if (element.ValueKind == JsonValueKind.Object && element.TryGetProperty("objectType", out var type) && type.ValueKind == JsonValueKind.String
                && type.GetString() == "Group")
            {
                Group(element, path);
            }
            else
            {
                Agent(element, path, objectTypeRequired: false);
            }
        }

        static readonly string[] AgentProperties = ["objectType", "name", "mbox", "mbox_sha1sum", "openid", "account"];
        static readonly string[] GroupProperties = ["objectType", "name", "member", "mbox", "mbox_sha1sum", "openid", "account"];
        static readonly string[] Ifis = ["mbox", "mbox_sha1sum", "openid", "account"];

        void Agent(JsonElement element, string path, bool objectTypeRequired)
        {
            if (Open(element, path, AgentProperties) is not { } p) return;
            var type = Text(p, path, "objectType", objectTypeRequired);
            if (type is not null && type != "Agent") Error(At(path, "objectType"), "must be Agent");
            Text(p, path, "name");
            if (Identifiers(p, path) != 1) Error(path, "an Agent must have exactly one inverse functional identifier (mbox, mbox_sha1sum, openid or account)");
        }

        void Group(JsonElement element, string path)
        {
            if (Open(element, path, GroupProperties) is not { } p) return;
            if (Text(p, path, "objectType", required: true) is { } type && type != "Group") Error(At(path, "objectType"), "must be Group");
            Text(p, path, "name");
            var identifiers = Identifiers(p, path);
            if (identifiers > 1) Error(path, "an identified Group must have exactly one inverse functional identifier");
            if (Get(p, "member") is { } members)
            {
                // Members are Agents only: a Group never contains a Group.
                Array(members, At(path, "member"), (member, at) => Agent(member, at, objectTypeRequired: false));
            }
            else if (identifiers == 0 && !p.ContainsKey("member"))
            {
                Error(At(path, "member"), "is required in an anonymous Group (one without an inverse functional identifier)");
            }
        }

        /// <summary>Checks each inverse functional identifier present and counts them.</summary>
        int Identifiers(Dictionary<string, JsonElement> p, string path)
        {
            Formatted(p, path, "mbox", XapiFormats.IsMailto, "a mailto IRI (mailto:name@domain)");
            Formatted(p, path, "mbox_sha1sum", XapiFormats.IsSha1Hex, "the 40 hex digits of a SHA-1 hash");
            Formatted(p, path, "openid", XapiFormats.IsIri, "an absolute URI");
            if (Get(p, "account") is { } account && Open(account, At(path, "account"), ["homePage", "name"]) is { } a)
            {
                Formatted(a, At(path, "account"), "homePage", XapiFormats.IsIrl, "an IRL", required: true);
                Text(a, At(path, "account"), "name", required: true);
            }

            return Ifis.Count(p.ContainsKey);
        }

        string? Verb(JsonElement element, string path)
        {
            if (Open(element, path, ["id", "display"]) is not { } p) return null;
            var id = Text(p, path, "id", required: true);
            if (id is not null && !XapiFormats.IsIri(id)) Error(At(path, "id"), "must be an IRI");
            if (Get(p, "display") is { } display) LanguageMap(display, At(path, "display"));
            return id;
        }

        void LanguageMap(JsonElement element, string path)
        {
            if (element.ValueKind != JsonValueKind.Object)
            {
                Error(path, "must be a language map (an object keyed by RFC 5646 language tags)");
                return;
            }

            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var entry in element.EnumerateObject())
            {
                var at = At(path, entry.Name);
                if (!seen.Add(entry.Name)) Error(at, "appears more than once");
                if (!XapiFormats.IsLanguageTag(entry.Name)) Error(at, "is not an RFC 5646 language tag");
                if (entry.Value.ValueKind != JsonValueKind.String) Error(at, "must be a string");
            }
        }

        void Extensions(JsonElement element, string path)
        {
            if (element.ValueKind != JsonValueKind.Object)
            {
                Error(path, "must be an object keyed by IRIs");
                return;
            }

            // Values are anything, null included: an LRS must not refuse a Statement for its extensions' values.
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var entry in element.EnumerateObject())
            {
                var at = At(path, entry.Name);
                if (!seen.Add(entry.Name)) Error(at, "appears more than once");
                if (!XapiFormats.IsIri(entry.Name)) Error(at, "an extension's key must be an IRI");
            }
        }

        /// <summary>The Statement's object by objectType; returns the type (Activity when absent) or null when unknown.</summary>
        string? Object(JsonElement element, string path, bool inSub)
        {
            if (element.ValueKind != JsonValueKind.Object)
            {
                Error(path, "must be a JSON object");
                return null;
            }

            var type = "Activity";
            if (element.TryGetProperty("objectType", out var declared))
            {
                if (declared.ValueKind != JsonValueKind.String)
                {
                    Error(At(path, "objectType"), "must be a string");
                    return null;
                }

                type = declared.GetString()!;
            }

            switch (type)
            {
                case "Activity": Activity(element, path); break;
                case "Agent": Agent(element, path, objectTypeRequired: true); break;
                case "Group": Group(element, path); break;
                case "StatementRef": StatementRef(element, path); break;
                case "SubStatement" when inSub: Error(path, "a SubStatement must not contain a SubStatement"); break;
                case "SubStatement": Statement(element, path, sub: true); break;
                default:
                    Error(At(path, "objectType"), "must be Activity, Agent, Group, StatementRef or SubStatement");
                    return null;
            }

            return type;
        }

        void StatementRef(JsonElement element, string path)
        {
            if (Open(element, path, ["objectType", "id"]) is not { } p) return;
            if (Text(p, path, "objectType", required: true) is { } type && type != "StatementRef") Error(At(path, "objectType"), "must be StatementRef");
            Formatted(p, path, "id", XapiFormats.IsUuid, "a UUID in its standard string form", required: true);
        }

        void Activity(JsonElement element, string path)
        {
            if (Open(element, path, ["objectType", "id", "definition"]) is not { } p) return;
            if (Text(p, path, "objectType") is { } type && type != "Activity") Error(At(path, "objectType"), "must be Activity");
            Formatted(p, path, "id", XapiFormats.IsIri, "an IRI", required: true);
            if (Get(p, "definition") is { } definition) Definition(definition, At(path, "definition"));
        }

        void Definition(JsonElement element, string path)
        {
            string[] allowed = ["name", "description", "type", "moreInfo", "extensions", "interactionType", "correctResponsesPattern", .. ComponentLists];
            if (Open(element, path, allowed) is not { } p) return;
            if (Get(p, "name") is { } name) LanguageMap(name, At(path, "name"));
            if (Get(p, "description") is { } description) LanguageMap(description, At(path, "description"));
            Formatted(p, path, "type", XapiFormats.IsIri, "an IRI");
            Formatted(p, path, "moreInfo", XapiFormats.IsIrl, "an IRL");
            if (Get(p, "extensions") is { } extensions) Extensions(extensions, At(path, "extensions"));
            var interaction = Text(p, path, "interactionType");
            if (interaction is not null && !InteractionTypes.Contains(interaction))
            {
                Error(At(path, "interactionType"), "must be one of " + string.Join(", ", InteractionTypes));
            }

            if (Get(p, "correctResponsesPattern") is { } pattern)
            {
                if (interaction is null) Error(At(path, "correctResponsesPattern"), "is allowed only with an interactionType");
                Array(pattern, At(path, "correctResponsesPattern"), (value, at) =>
                {
                    if (value.ValueKind != JsonValueKind.String) Error(at, "must be a string");
                });
            }

            foreach (var list in ComponentLists)
            {
                if (Get(p, list) is not { } components) continue;
                var at = At(path, list);
                if (interaction is null) Error(at, "is allowed only with an interactionType");
                else if (!SupportsComponentList(interaction, list)) Error(at, $"is not a component list of interactionType {interaction}");
                var ids = new HashSet<string>(StringComparer.Ordinal);
                Array(components, at, (component, componentAt) =>
                {
                    if (Open(component, componentAt, ["id", "description"]) is not { } c) return;
                    if (Text(c, componentAt, "id", required: true) is { } id && !ids.Add(id)) Error(At(componentAt, "id"), "must be distinct within its list");
                    if (Get(c, "description") is { } description) LanguageMap(description, At(componentAt, "description"));
                });
            }
        }

        static bool SupportsComponentList(string interaction, string list) => (interaction, list) switch
        {
            ("choice" or "sequencing", "choices") => true,
            ("likert", "scale") => true,
            ("matching", "source" or "target") => true,
            ("performance", "steps") => true,
            _ => false,
        };

        void Result(JsonElement element, string path)
        {
            if (Open(element, path, ["score", "success", "completion", "response", "duration", "extensions"]) is not { } p) return;
            if (Get(p, "score") is { } score && Open(score, At(path, "score"), ["scaled", "raw", "min", "max"]) is { } s)
            {
                var at = At(path, "score");
                if (Number(s, at, "scaled") is { } scaled && scaled is < -1 or > 1) Error(At(at, "scaled"), "must be between -1 and 1");
                var raw = Number(s, at, "raw");
                var min = Number(s, at, "min");
                var max = Number(s, at, "max");
                if (min is not null && max is not null && min >= max) Error(At(at, "min"), "must be less than max");
                if (raw is not null && min is not null && raw < min) Error(At(at, "raw"), "must be at least min");
                if (raw is not null && max is not null && raw > max) Error(At(at, "raw"), "must be at most max");
            }

            Boolean(p, path, "success");
            Boolean(p, path, "completion");
            Text(p, path, "response");
            Formatted(p, path, "duration", XapiFormats.IsDuration, "an ISO 8601 duration (PnYnMnDTnHnMnS or PnW)");
            if (Get(p, "extensions") is { } extensions) Extensions(extensions, At(path, "extensions"));
        }

        void Context(JsonElement element, string path, bool objectIsActivity)
        {
            string[] allowed = ["registration", "instructor", "team", "contextActivities", "revision", "platform", "language", "statement", "extensions",
                "contextAgents", "contextGroups"];
            if (Open(element, path, allowed) is not { } p) return;
            Formatted(p, path, "registration", XapiFormats.IsUuid, "a UUID in its standard string form");
            if (Get(p, "instructor") is { } instructor) Actor(instructor, At(path, "instructor"));
            if (Get(p, "team") is { } team)
            {
                if (team.ValueKind == JsonValueKind.Object && !(team.TryGetProperty("objectType", out var t) && t.ValueKind == JsonValueKind.String && t.GetString() == "Group"))
                {
                    Error(At(At(path, "team"), "objectType"), "must be Group: a team is a Group");
                }
                else
                {
                    Group(team, At(path, "team"));
                }
            }

            if (Get(p, "contextActivities") is { } activities && Open(activities, At(path, "contextActivities"), ContextActivityKinds) is { } kinds)
            {
                foreach (var (kind, value) in kinds)
                {
                    var at = At(At(path, "contextActivities"), kind);
                    if (value.ValueKind == JsonValueKind.Array) Array(value, at, Activity);
                    else if (value.ValueKind != JsonValueKind.Null) Activity(value, at);
                }
            }

            foreach (var name in new[] { "revision", "platform" })
            {
                if (Text(p, path, name) is not null && !objectIsActivity) Error(At(path, name), "is allowed only when the Statement's object is an Activity");
            }

            Formatted(p, path, "language", XapiFormats.IsLanguageTag, "an RFC 5646 language tag");
            if (Get(p, "statement") is { } statement) StatementRef(statement, At(path, "statement"));
            if (Get(p, "extensions") is { } extensions) Extensions(extensions, At(path, "extensions"));
            if (Get(p, "contextAgents") is { } agents)
            {
                Array(agents, At(path, "contextAgents"), (item, at) => ContextMember(item, at, "contextAgent", "agent",
                    value => Agent(value, At(at, "agent"), objectTypeRequired: false)));
            }

            if (Get(p, "contextGroups") is { } groups)
            {
                Array(groups, At(path, "contextGroups"), (item, at) => ContextMember(item, at, "contextGroup", "group", value => Group(value, At(at, "group"))));
            }
        }

        /// <summary>xAPI 2.0's contextAgents and contextGroups: {objectType, agent|group, relevantTypes (a non-empty array of IRIs)}.</summary>
        void ContextMember(JsonElement element, string path, string objectType, string memberName, Action<JsonElement> member)
        {
            if (Open(element, path, ["objectType", memberName, "relevantTypes"]) is not { } p) return;
            if (Text(p, path, "objectType", required: true) is { } type && type != objectType) Error(At(path, "objectType"), $"must be {objectType}");
            if (Get(p, memberName) is { } value) member(value);
            else if (!p.ContainsKey(memberName)) Error(At(path, memberName), "is required");
            if (Get(p, "relevantTypes") is { } types)
            {
                Array(types, At(path, "relevantTypes"), (iri, at) =>
                {
                    if (iri.ValueKind != JsonValueKind.String || !XapiFormats.IsIri(iri.GetString()!)) Error(at, "must be an IRI");
                }, nonEmpty: true);
            }
        }

        void Attachment(JsonElement element, string path)
        {
            if (Open(element, path, ["usageType", "display", "description", "contentType", "length", "sha2", "fileUrl"]) is not { } p) return;
            Formatted(p, path, "usageType", XapiFormats.IsIri, "an IRI", required: true);
            if (Get(p, "display") is { } display) LanguageMap(display, At(path, "display"));
            else if (!p.ContainsKey("display")) Error(At(path, "display"), "is required");
            if (Get(p, "description") is { } description) LanguageMap(description, At(path, "description"));
            Formatted(p, path, "contentType", XapiFormats.IsMediaType, "an Internet media type", required: true);
            if (Get(p, "length") is { } length)
            {
                if (length.ValueKind != JsonValueKind.Number || !length.TryGetInt64(out var octets) || octets < 0) Error(At(path, "length"), "must be a non-negative integer");
            }
            else if (!p.ContainsKey("length"))
            {
                Error(At(path, "length"), "is required");
            }

            Formatted(p, path, "sha2", XapiFormats.IsSha2Hex, "the hex digest of a SHA-2 hash", required: true);
            Formatted(p, path, "fileUrl", XapiFormats.IsIrl, "an IRL");
        }
    }
}
