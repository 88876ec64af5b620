namespace Hephaestus.Domain;

/// <summary>Marker for the pure domain assembly (tests use it to check it references nothing).</summary>
public static class DomainAssembly;
