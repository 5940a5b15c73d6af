namespace Urumi.Durable;

/// <summary>Thrown by the engine when an orchestration cannot go on (replay mismatch, poison message).</summary>
public sealed class NonDeterministicOrchestrationException(string message) : Exception(message);
