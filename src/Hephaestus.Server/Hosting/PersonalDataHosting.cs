using Hephaestus.Data;

namespace Hephaestus.Server.Hosting;

public static class PersonalDataHosting
{
    /// <summary>
    /// Every personal data section the data layer defines, found by type: a feature that stores something about a user
    /// adds a section beside its SQL, and the export includes it with no list here to forget.
    /// </summary>
    public static IHostApplicationBuilder AddPersonalDataSections(this IHostApplicationBuilder builder)
    {
        var sections = typeof(IPersonalDataSection).Assembly.GetTypes()
            .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(IPersonalDataSection).IsAssignableFrom(t))
            .OrderBy(t => t.FullName, StringComparer.Ordinal);
        foreach (var section in sections) builder.Services.AddSingleton(typeof(IPersonalDataSection), section);
        return builder;
    }
}
