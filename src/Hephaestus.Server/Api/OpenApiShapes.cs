using System.Text.Json;
using System.Text.Json.Nodes;
using Hephaestus.Domain;
using Hephaestus.Domain.Assessments;
using Hephaestus.Domain.Mastery;
using Hephaestus.Domain.Paths;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Hephaestus.Server.Api;

/// <summary>
/// The JSON the contracts carry as <see cref="JsonElement"/> (validated by hand-written parsers in Domain, so the wire
/// stays exactly what those parsers accept) described for clients: item definitions one schema per type, discriminated
/// by <c>type</c>, and the learner's view of an item likewise; a learner's answer and an unlock rule as one object of
/// which exactly one member is set (the member names the kind: the wire has no <c>type</c>); mastery parameters. A
/// JsonElement property is matched by its JSON name.
/// </summary>
internal static class OpenApiShapes
{
    public const string ItemDefinition = "ItemDefinition";
    public const string LearnerItem = "LearnerItem";
    public const string ItemResponse = "ItemAnswer";
    public const string UnlockRule = "UnlockRule";
    public const string MasteryParameterSettings = "MasteryParameterSettings";

    /// <summary>JSON property name of a JsonElement in a contract → the shape it holds.</summary>
    static readonly Dictionary<string, string> ShapeOfProperty = new(StringComparer.Ordinal)
    {
        ["definition"] = ItemDefinition,
        ["item"] = LearnerItem,
        ["response"] = ItemResponse,
        ["responses"] = ItemResponse,
        ["unlockRule"] = UnlockRule,
        ["masteryParameters"] = MasteryParameterSettings,
    };

    static string Variant(string shape, string type) => shape + "_" + type;

    const string ShapeMark = "hephaestus-shape";
    const string MapMark = "hephaestus-shape-map";

    /// <summary>
    /// Schema transformer: marks an inline schema of a JsonElement property with a known name (or of a map of them). The
    /// mark becomes a reference in <see cref="Resolve"/>, once the components exist: the schema service cannot resolve one
    /// earlier.
    /// </summary>
    public static Task MarkAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken ct)
    {
        if (context.JsonPropertyInfo is not { } property || !ShapeOfProperty.TryGetValue(property.Name, out var shape)) return Task.CompletedTask;
        var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        var map = type.IsAssignableTo(typeof(IReadOnlyDictionary<Guid, JsonElement>));
        if (type == typeof(JsonElement) || map)
        {
            schema.Metadata ??= new Dictionary<string, object>(StringComparer.Ordinal);
            // A nullable property (JsonElement?) keeps null among its values.
            schema.Metadata[map ? MapMark : ShapeMark] = Nullable.GetUnderlyingType(property.PropertyType) is null ? shape : shape + "?";
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// Adds the shapes to the components and points the JsonElement properties at them: the marked inline schemas, and
    /// the properties that refer to the shared (empty) JsonElement schema.
    /// </summary>
    public static void Resolve(OpenApiDocument document)
    {
        AddComponents(document);
        foreach (var schema in document.Components!.Schemas!.Values.OfType<OpenApiSchema>())
        {
            foreach (var (name, property) in schema.Properties?.ToList() ?? [])
            {
                if (!ShapeOfProperty.TryGetValue(name, out var shape)) continue;
                var reference = new OpenApiSchemaReference(shape, document);
                var marked = property is OpenApiSchema { Metadata: { } metadata } && metadata.TryGetValue(ShapeMark, out var mark) ? mark as string : null;
                if (property is OpenApiSchemaReference { Reference.Id: "JsonElement" })
                {
                    schema.Properties![name] = reference;
                }
                else if (property is OpenApiSchema inline)
                {
                    if (inline.OneOf is { } oneOf && oneOf.OfType<OpenApiSchemaReference>().FirstOrDefault(r => r.Reference.Id == "JsonElement") is { } element)
                    {
                        oneOf[oneOf.IndexOf(element)] = reference;
                    }
                    else if (inline.Metadata?.Remove(MapMark) == true)
                    {
                        inline.AllOf = null;
                        inline.AdditionalProperties = reference;
                    }
                    else if (marked is not null)
                    {
                        inline.Metadata!.Remove(ShapeMark);
                        if (marked.EndsWith('?')) inline.OneOf = [new OpenApiSchema { Type = JsonSchemaType.Null }, reference];
                        else inline.AllOf = [reference];
                    }
                }
            }
        }
    }

    static void AddComponents(OpenApiDocument document)
    {
        document.Components ??= new OpenApiComponents();
        var schemas = document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal);
        if (schemas.ContainsKey(ItemDefinition)) return;
        AddItemDefinitions(document, schemas, ItemDefinition, learnerView: false);
        AddItemDefinitions(document, schemas, LearnerItem, learnerView: true);
        AddItemResponses(schemas);
        AddUnlockRules(document, schemas);
        schemas[MasteryParameterSettings] = MasteryParameters();
    }

    static void AddItemDefinitions(OpenApiDocument document, IDictionary<string, IOpenApiSchema> schemas, string shape, bool learnerView)
    {
        var choice = Object("A choice of a choice item, or an item of an ordering item.",
            ("id", Text("Unique within the item."), true), ("text", Text("What the learner reads."), true));
        var choices = new OpenApiSchema { Type = JsonSchemaType.Array, MinItems = 2, Items = choice };
        var ids = new OpenApiSchema { Type = JsonSchemaType.Array, Items = Text("An id of the item's choices.") };
        var key = !learnerView; // the answer key: required when writing, never shown to a learner
        var variants = new Dictionary<string, OpenApiSchema>(StringComparer.Ordinal)
        {
            [ItemTypes.SingleChoice] = Item(document, shape, "Exactly one option is correct.",
                [("options", choices, true), .. Key(key, ("correctOptionId", Text("The correct option's id."), true))]),
            [ItemTypes.MultipleChoice] = Item(document, shape, "One or more options are correct; `scoring` says how partly right answers earn credit.",
                [("options", choices, true), ("scoring", Enum<MultipleChoiceScoring>("Default all_or_nothing."), false),
                    .. Key(key, ("correctOptionIds", new OpenApiSchema { Type = JsonSchemaType.Array, MinItems = 1, Items = Text("A correct option's id.") }, true))]),
            [ItemTypes.Numeric] = Item(document, shape, "A number, right within a tolerance (absolute, or relative: a fraction of the value).",
                Key(key, ("value", Number("The correct value."), true), ("tolerance", Number("Default 0.", minimum: "0"), false),
                    ("toleranceKind", Enum<ToleranceKind>("Default absolute."), false))),
            [ItemTypes.ShortText] = Item(document, shape, "A short text compared with the accepted answers after the whitespace rule (and case, unless caseSensitive).",
                Key(key, ("acceptedAnswers", new OpenApiSchema { Type = JsonSchemaType.Array, MinItems = 1, Items = Text("An accepted answer.") }, true),
                    ("caseSensitive", new OpenApiSchema { Type = JsonSchemaType.Boolean, Description = "Default false." }, false),
                    ("whitespace", Enum<WhitespaceRule>("Default collapse."), false))),
            [ItemTypes.Ordering] = Item(document, shape, "Put the items in order; `scoring` says whether adjacent pairs earn partial credit.",
                [("items", choices, true), ("scoring", Enum<OrderingScoring>("Default all_or_nothing."), false),
                    .. Key(key, ("correctOrder", ids, true))]),
        };
        foreach (var (type, schema) in variants) schemas[Variant(shape, type)] = schema;
        // The base names the common members and the discriminator; each type extends it (allOf), the form generators
        // (NSwag, Kiota) turn into a class hierarchy.
        var common = Object(learnerView
                ? "An item as a learner sees it inside an attempt: prompt, points and choices, never the answer key. One schema per `type`."
                : "A typed item with its answer key. One schema per `type`; unknown properties are refused.",
            ("type", new OpenApiSchema { Type = JsonSchemaType.String, Enum = [.. ItemTypes.All.Select(t => (JsonNode)JsonValue.Create(t))] }, true),
            ("prompt", Text("The question."), true),
            ("points", Number("Points for a fully right answer; default 1.", exclusiveMinimum: "0"), false));
        common.AdditionalPropertiesAllowed = true;
        common.Discriminator = new OpenApiDiscriminator
        {
            PropertyName = "type",
            Mapping = variants.Keys.ToDictionary(t => t, t => new OpenApiSchemaReference(Variant(shape, t), document)),
        };
        schemas[shape] = common;
    }

    static (string, IOpenApiSchema, bool)[] Key(bool included, params (string, IOpenApiSchema, bool)[] properties) => included ? properties : [];

    static OpenApiSchema Item(OpenApiDocument document, string shape, string description, (string Name, IOpenApiSchema Schema, bool Required)[] properties)
    {
        var own = Object(description, properties);
        own.AdditionalPropertiesAllowed = true; // the base's members are not "additional" to it
        return new OpenApiSchema { Description = description, AllOf = [new OpenApiSchemaReference(shape, document), own] };
    }

    /// <summary>One object with exactly one member (its name follows the item's type), so generators make one class of it.</summary>
    static void AddItemResponses(IDictionary<string, IOpenApiSchema> schemas)
    {
        var answer = Object("A learner's answer: exactly one member, the one of the item's type (single_choice optionId, multiple_choice optionIds "
            + "(empty is a valid, unrewarded answer), numeric value (a JSON number), short_text text, ordering order (every item id once)).",
            ("optionId", Text("single_choice: the chosen option's id."), false),
            ("optionIds", new OpenApiSchema { Type = JsonSchemaType.Array, Items = Text("A chosen option's id."), Description = "multiple_choice" }, false),
            ("value", Number("numeric: the answer."), false),
            ("text", new OpenApiSchema { Type = JsonSchemaType.String, Description = "short_text: the answer." }, false),
            ("order", new OpenApiSchema { Type = JsonSchemaType.Array, Items = Text("An item id."), Description = "ordering" }, false));
        answer.MinProperties = 1;
        answer.MaxProperties = 1;
        schemas[ItemResponse] = answer;
    }

    static void AddUnlockRules(OpenApiDocument document, IDictionary<string, IOpenApiSchema> schemas)
    {
        var rules = new OpenApiSchema { Type = JsonSchemaType.Array, MinItems = 1, Items = new OpenApiSchemaReference(UnlockRule, document) };
        var skill = new OpenApiSchema { Type = JsonSchemaType.String, Format = "uuid", Description = "A skill id." };
        var variants = new Dictionary<string, OpenApiSchema>(StringComparer.Ordinal)
        {
            ["all"] = Object("Every rule in the list holds.", ("all", rules, true)),
            ["any"] = Object("At least one rule in the list holds.", ("any", rules, true)),
            ["mastery"] = Object("The learner's mastery of a skill reaches a level of its scale (atLeast) or a probability (minProbability): one of the two.",
                ("mastery", new OpenApiSchema
                {
                    Type = JsonSchemaType.Object,
                    AdditionalPropertiesAllowed = false,
                    Required = new HashSet<string>(StringComparer.Ordinal) { "skill" },
                    Properties = new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal)
                    {
                        ["skill"] = skill,
                        ["atLeast"] = Text("A level name of the skill's mastery scale."),
                        ["minProbability"] = Number("A probability from 0 to 1.", minimum: "0", maximum: "1"),
                    },
                }, true)),
            ["score"] = Object("Canvas Mastery Paths' range on an assessment step's combined score: min ≤ score < max; without max, or with max 1, score ≤ 1.",
                ("score", Object("A score range.", ("step", Text("The key of an assessment step of the same version."), true),
                    ("min", Number("Lower bound, inclusive.", minimum: "0", maximum: "1"), true),
                    ("max", Number("Upper bound, exclusive below 1.", minimum: "0", maximum: "1"), false)), true)),
            ["completed"] = Object("Every listed step is completed.",
                ("completed", Object("Steps.", ("steps", new OpenApiSchema { Type = JsonSchemaType.Array, MinItems = 1, Items = Text("A step key.") }, true)), true)),
        };
        // One object whose one member names the kind (the wire format has no `type`): generators make one class with a
        // property per kind, of which a rule sets exactly one.
        var rule = Object(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"An AND/OR tree of conditions: exactly one member, whose name is the rule's kind (all, any, mastery, score, completed). At most {UnlockRuleParser.MaxDepth} levels and {UnlockRuleParser.MaxNodes} nodes."),
            [.. variants.Select(v => (v.Key, v.Value.Properties![v.Key], false))]);
        rule.MinProperties = 1;
        rule.MaxProperties = 1;
        schemas[UnlockRule] = rule;
    }

    /// <summary>The parameters MasteryParameters reads (its JSON names and defaults); the method itself is the sibling <c>masteryMethod</c>.</summary>
    static OpenApiSchema MasteryParameters()
    {
        var defaults = Domain.Mastery.MasteryParameters.Default;
        static string Of(double value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Object(
            "Mastery method parameters, each optional (an absent one takes its default). Every method's parameters are accepted whatever the method, "
            + "so a replay can switch methods: bkt reads prior, learn, guess, slip, forget and bktMasteryThreshold; weighted_average and "
            + "standard_decaying_average read calculationInt; n_mastery reads nMasteryCount; every method but bkt decides mastery by masteryPoints.",
            ("ordering", Enum<EvidenceOrdering>("Order of the evidence: by observation (default) or by due date."), false),
            ("prior", Number($"BKT P(L0); default {Of(defaults.Prior)}.", minimum: "0", maximum: "1"), false),
            ("learn", Number($"BKT P(T); default {Of(defaults.Learn)}.", minimum: "0", maximum: "1"), false),
            ("guess", Number($"BKT P(G); default {Of(defaults.Guess)}.", minimum: "0", maximum: "1"), false),
            ("slip", Number($"BKT P(S); default {Of(defaults.Slip)}.", minimum: "0", maximum: "1"), false),
            ("forget", Number($"BKT P(F); default {Of(defaults.Forget)}.", minimum: "0", maximum: "1"), false),
            ("bktMasteryThreshold", Number($"BKT counts the skill mastered at P(L) at or above this; default {Of(defaults.BktMasteryThreshold)}.", exclusiveMinimum: "0", maximum: "1"), false),
            ("calculationInt", Integer($"Canvas's decaying-average weight of the newest score, in percent; default {defaults.CalculationInt}.", 1, 99), false),
            ("nMasteryCount", Integer($"n_mastery's N; default {defaults.NMasteryCount}.", 1, 10), false),
            ("masteryPoints", Number($"The score at which one observation counts as mastery; default {Of(defaults.MasteryPoints)}.", minimum: "0", maximum: "1"), false));
    }

    static OpenApiSchema Object(string description, params (string Name, IOpenApiSchema Schema, bool Required)[] properties) => new()
    {
        Type = JsonSchemaType.Object,
        Description = description,
        AdditionalPropertiesAllowed = false,
        Properties = properties.ToDictionary(p => p.Name, p => p.Schema, StringComparer.Ordinal),
        Required = properties.Where(p => p.Required).Select(p => p.Name).ToHashSet(StringComparer.Ordinal),
    };

    static OpenApiSchema Text(string description) => new() { Type = JsonSchemaType.String, MinLength = 1, Description = description };

    static OpenApiSchema Number(string description, string? minimum = null, string? maximum = null, string? exclusiveMinimum = null) =>
        new() { Type = JsonSchemaType.Number, Description = description, Minimum = minimum, Maximum = maximum, ExclusiveMinimum = exclusiveMinimum };

    static OpenApiSchema Integer(string description, int minimum, int maximum) => new()
    {
        Type = JsonSchemaType.Integer,
        Description = description,
        Minimum = minimum.ToString(System.Globalization.CultureInfo.InvariantCulture),
        Maximum = maximum.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    static OpenApiSchema Enum<TEnum>(string description) where TEnum : struct, System.Enum => new()
    {
        Type = JsonSchemaType.String,
        Description = description,
        Enum = [.. WireNames<TEnum>.All.Select(n => (JsonNode)JsonValue.Create(n))],
    };
}
