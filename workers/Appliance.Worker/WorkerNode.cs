using System.Reflection;

namespace Appliance.Worker;

/// <summary>One worker process as worker_nodes records it; <see cref="NodeId"/> is its Quartz scheduler instance id.</summary>
public sealed record WorkerNode(string NodeId, string HostName, string Version, DateTimeOffset StartedAt)
{
    public static string CurrentVersion { get; } =
        typeof(WorkerNode).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
}
