namespace Hephaestus.Domain.Paths;

public enum StepKind
{
    Skill,
    Content,
    Assessment,
}

/// <summary>The numeric values are stored (enrollments.step_status): never renumber them.</summary>
public enum StepStatus
{
    Locked = 0,
    Available = 1,
    InProgress = 2,
    Completed = 3,
    Skipped = 4,
}

/// <summary>Step kinds and statuses by their wire names (<see cref="WireNames{TEnum}"/>).</summary>
public static class StepWireNames
{
    public static string ToWireName(this StepStatus status) => WireNames<StepStatus>.Of(status);

    public static string ToWireName(this StepKind kind) => WireNames<StepKind>.Of(kind);

    public static StepKind ParseKind(string wire) => WireNames<StepKind>.Parse(wire);

    public static bool TryParseKind(string? wire, out StepKind kind) => WireNames<StepKind>.TryParse(wire, out kind);

    public static bool IsDone(this StepStatus status) => status is StepStatus.Completed or StepStatus.Skipped;
}

/// <summary>One step as the progress engine sees it: what it targets, what gates it, where it sits, how long it takes (the author's estimate).</summary>
public sealed record PlannedStep(
    string Key,
    StepKind Kind,
    Guid RefId,
    string Title,
    double Position,
    IReadOnlyList<Guid> TargetSkills,
    UnlockRule? Rule,
    IReadOnlyList<string> Prerequisites,
    bool InsertedByEducator = false,
    int? EstimatedMinutes = null);

/// <summary>
/// The steps of one path version (immutable once published, so a plan is built once and shared by every learner on
/// it), with the dependency graph used to rank: a step depends on its prerequisites and on the steps its unlock rule
/// names. Educator inserts are per learner: <see cref="With"/> adds them to a copy.
/// </summary>
public sealed class PathPlan
{
    readonly Dictionary<string, int> _indexByKey;
    // dependents[i] = indexes of the steps that (transitively) wait on step i.
    readonly int[][] _transitiveDependents;

    public PathPlan(IReadOnlyList<PlannedStep> steps)
    {
        Steps = [.. steps.OrderBy(s => s.Position).ThenBy(s => s.Key, StringComparer.Ordinal)];
        _indexByKey = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < Steps.Count; i++) _indexByKey[Steps[i].Key] = i;
        _transitiveDependents = ComputeTransitiveDependents();
        Skills = [.. Steps.SelectMany(s => s.TargetSkills.Concat(s.Rule?.ReferencedSkills() ?? [])).Distinct()];
    }

    public IReadOnlyList<PlannedStep> Steps { get; }

    /// <summary>Every skill a step targets or a rule reads: the mastery rows an evaluation needs.</summary>
    public IReadOnlyList<Guid> Skills { get; }

    public bool Contains(string key) => _indexByKey.ContainsKey(key);

    public PlannedStep this[string key] => Steps[_indexByKey[key]];

    /// <summary>Indexes of the steps that wait on <paramref name="key"/>, directly or through others.</summary>
    public IReadOnlyList<int> DependentsOf(string key) => _transitiveDependents[_indexByKey[key]];

    public PathPlan With(IReadOnlyList<PlannedStep> inserted) => inserted.Count == 0 ? this : new PathPlan([.. Steps, .. inserted]);

    /// <summary>The direct dependencies of a step: its prerequisites and the steps its rule names, that exist in the plan.</summary>
    public IEnumerable<string> DependenciesOf(PlannedStep step) =>
        step.Prerequisites.Concat(step.Rule?.ReferencedSteps() ?? []).Where(_indexByKey.ContainsKey).Distinct(StringComparer.Ordinal);

    int[][] ComputeTransitiveDependents()
    {
        var direct = new List<int>[Steps.Count];
        for (var i = 0; i < Steps.Count; i++) direct[i] = [];
        for (var i = 0; i < Steps.Count; i++)
        {
            foreach (var dependency in DependenciesOf(Steps[i])) direct[_indexByKey[dependency]].Add(i);
        }

        // Prerequisites are a DAG (the database refuses cycles) but rule references are not checked for cycles, so the
        // walk keeps a visited set rather than trusting acyclicity.
        var result = new int[Steps.Count][];
        for (var i = 0; i < Steps.Count; i++)
        {
            var seen = new HashSet<int>();
            var stack = new Stack<int>(direct[i]);
            while (stack.Count > 0)
            {
                var next = stack.Pop();
                if (next == i || !seen.Add(next)) continue;
                foreach (var d in direct[next]) stack.Push(d);
            }

            result[i] = [.. seen.Order()];
        }

        return result;
    }
}
