using System.Globalization;
using DurableTask.Core;
using DurableTask.Core.Exceptions;
using DurableTask.Core.History;
using DurableTask.Core.Query;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Core = DurableTask.Core;
using SdkPurgeResult = Microsoft.DurableTask.Client.PurgeResult;
using SdkQuery = Microsoft.DurableTask.Client.OrchestrationQuery;

namespace Urumi.Hosting.Client;

/// <summary>
/// A <see cref="DurableTaskClient"/> over DurableTask.Core's <see cref="IOrchestrationServiceClient"/> (with its query
/// and purge capabilities, as AzureStorageOrchestrationService has them). Payloads go through the options'
/// <see cref="DataConverter"/>, the converter the worker's shims use, so values round-trip.
/// </summary>
public sealed class OrchestrationServiceDurableTaskClient : DurableTaskClient
{
    private readonly OrchestrationServiceClientOptions _options;
    private readonly IOrchestrationServiceClient _client;
    private readonly ILogger _logger;

    [ActivatorUtilitiesConstructor]
    public OrchestrationServiceDurableTaskClient(
        string name,
        IOptionsMonitor<OrchestrationServiceClientOptions> options,
        ILogger<OrchestrationServiceDurableTaskClient>? logger = null)
        : this(name, options.Get(name), logger)
    {
    }

    public OrchestrationServiceDurableTaskClient(
        string name, OrchestrationServiceClientOptions options, ILogger? logger = null)
        : base(name)
    {
        _options = options;
        _client = options.Client
            ?? throw new ArgumentException("OrchestrationServiceClientOptions.Client is required.", nameof(options));
        _logger = logger ?? NullLogger.Instance;
    }

    private DataConverter Converter => _options.DataConverter;

    public override async Task<string> ScheduleNewOrchestrationInstanceAsync(
        TaskName orchestratorName,
        object? input = null,
        StartOrchestrationOptions? options = null,
        CancellationToken cancellation = default)
    {
        var instanceId = options?.InstanceId ?? Guid.NewGuid().ToString("N");
        InstanceIds.Validate(instanceId);
        var start = new StartRequest(
            orchestratorName.Name,
            options?.Version?.Version is { Length: > 0 } version ? version : _options.DefaultVersion,
            Converter.Serialize(input),
            instanceId,
            options?.StartAt,
            options?.Tags?.ToDictionary(t => t.Key, t => t.Value),
            DedupeStatuses(options));
        await CreateAsync(start, cancellation);
        return instanceId;
    }

    public override Task RaiseEventAsync(
        string instanceId, string eventName, object? eventPayload = null, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(eventName);
        var raised = new EventRaisedEvent(-1, Converter.Serialize(eventPayload)) { Name = eventName };
        return SendAsync(instanceId, raised, cancellation);
    }

    public override Task SuspendInstanceAsync(
        string instanceId, string? reason = null, CancellationToken cancellation = default) =>
        SendAsync(instanceId, new ExecutionSuspendedEvent(-1, reason), cancellation);

    public override Task ResumeInstanceAsync(
        string instanceId, string? reason = null, CancellationToken cancellation = default) =>
        SendAsync(instanceId, new ExecutionResumedEvent(-1, reason), cancellation);

    public override async Task TerminateInstanceAsync(
        string instanceId, TerminateInstanceOptions? options = null, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        cancellation.ThrowIfCancellationRequested();
        var output = Converter.Serialize(options?.Output);
        await _client.ForceTerminateTaskOrchestrationAsync(instanceId, output);
        if (options?.Recursive == true)
        {
            // The parent is terminated first so that it starts no new child while its children are terminated.
            foreach (var child in await ChildrenAsync(instanceId, cancellation))
            {
                if (await GetStateAsync(child, cancellation) is { } state && IsLive(state))
                {
                    await TerminateInstanceAsync(child, options, cancellation);
                }
            }
        }
    }

    public override async Task<OrchestrationMetadata?> GetInstancesAsync(
        string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        var state = await GetStateAsync(instanceId, cancellation);
        if (state is null)
        {
            return null;
        }
        var failure = state.OrchestrationStatus == Core.OrchestrationStatus.Failed && state.FailureDetails is null
            ? await FailureFromHistoryAsync(state)
            : null;
        return ToMetadata(state, getInputsAndOutputs, failure);
    }

    public override AsyncPageable<OrchestrationMetadata> GetAllInstancesAsync(SdkQuery? filter = null)
    {
        var queries = Capability<IOrchestrationServiceQueryClient>();
        var query = filter ?? new SdkQuery();
        return Pageable.Create(async (continuation, pageSize, cancellation) =>
        {
            var coreQuery = ToCoreQuery(query, continuation, pageSize);
            var result = await queries.GetOrchestrationWithQueryAsync(coreQuery, cancellation);
            var values = result.OrchestrationState.Select(s => ToMetadata(s, query.FetchInputsAndOutputs)).ToList();
            var next = string.IsNullOrEmpty(result.ContinuationToken) ? null : result.ContinuationToken;
            return new Page<OrchestrationMetadata>(values, next);
        });
    }

    public override Task<OrchestrationMetadata> WaitForInstanceStartAsync(
        string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default) =>
        PollAsync(
            instanceId, getInputsAndOutputs, m => m.RuntimeStatus != OrchestrationRuntimeStatus.Pending, cancellation);

    public override Task<OrchestrationMetadata> WaitForInstanceCompletionAsync(
        string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default) =>
        PollAsync(instanceId, getInputsAndOutputs, m => RuntimeStatuses.IsTerminal(m.RuntimeStatus), cancellation);

    public override async Task<SdkPurgeResult> PurgeInstanceAsync(
        string instanceId, PurgeInstanceOptions? options = null, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        var purges = Capability<IOrchestrationServicePurgeClient>();
        var state = await GetStateAsync(instanceId, cancellation);
        if (state is null)
        {
            return new SdkPurgeResult(0);
        }
        var status = RuntimeStatuses.FromCore(state.OrchestrationStatus);
        if (!RuntimeStatuses.IsTerminal(status))
        {
            _logger.PurgeRefused(instanceId, status.ToString());
            throw new InvalidOperationException(
                $"Instance '{instanceId}' is {status}: only instances in a terminal state "
                + $"({string.Join(", ", RuntimeStatuses.Terminal)}) can be purged.");
        }
        var purged = 0;
        if (options?.Recursive == true)
        {
            purged += await PurgeChildrenAsync(instanceId, options, cancellation);
        }
        purged += (await purges.PurgeInstanceStateAsync(instanceId)).DeletedInstanceCount;
        _logger.Purged(purged, instanceId);
        return new SdkPurgeResult(purged);
    }

    public override async Task<SdkPurgeResult> PurgeAllInstancesAsync(
        PurgeInstancesFilter filter, PurgeInstanceOptions? options = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var purges = Capability<IOrchestrationServicePurgeClient>();
        List<OrchestrationRuntimeStatus> statuses = filter.Statuses?.Distinct().ToList() is { Count: > 0 } named
            ? named
            : [.. RuntimeStatuses.Terminal];
        var live = statuses.Where(s => !RuntimeStatuses.IsTerminal(s)).ToList();
        if (live.Count > 0)
        {
            throw new ArgumentException(
                $"Only instances in a terminal state ({string.Join(", ", RuntimeStatuses.Terminal)}) can be purged, "
                + $"not {string.Join(", ", live)}.",
                nameof(filter));
        }
        cancellation.ThrowIfCancellationRequested();
        var coreFilter = new PurgeInstanceFilter(
            filter.CreatedFrom?.UtcDateTime ?? DateTime.MinValue,
            filter.CreatedTo?.UtcDateTime,
            statuses.Select(RuntimeStatuses.ToCore))
        {
            Timeout = filter.Timeout,
        };
        var result = await purges.PurgeInstanceStateAsync(coreFilter);
        _logger.Purged(result.DeletedInstanceCount, "filter");
        return new SdkPurgeResult(result.DeletedInstanceCount, result.IsComplete);
    }

    public override async Task<string> RestartAsync(
        string instanceId, bool restartWithNewInstanceId = false, CancellationToken cancellation = default)
    {
        var state = await GetStateAsync(instanceId, cancellation)
            ?? throw new ArgumentException($"No instance with id '{instanceId}' exists.", nameof(instanceId));
        var newId = restartWithNewInstanceId ? Guid.NewGuid().ToString("N") : instanceId;
        var start = new StartRequest(
            state.Name, state.Version, state.Input, newId, null, null, [.. RuntimeStatuses.Live]);
        await CreateAsync(start, cancellation);
        return newId;
    }

    public override async Task<IList<HistoryEvent>> GetOrchestrationHistoryAsync(
        string instanceId, CancellationToken cancellation = default)
    {
        var state = await GetStateAsync(instanceId, cancellation)
            ?? throw new ArgumentException($"No instance with id '{instanceId}' exists.", nameof(instanceId));
        var json = await _client.GetOrchestrationHistoryAsync(instanceId, state.OrchestrationInstance.ExecutionId);
        return HistoryJson.Parse(json);
    }

    /// <summary>Nothing to release: the DurableTask.Core client is shared and owned by the host.</summary>
    public override ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private async Task CreateAsync(StartRequest start, CancellationToken cancellation)
    {
        cancellation.ThrowIfCancellationRequested();
        await TerminateReusableLiveInstanceAsync(start, cancellation);
        var instance = new OrchestrationInstance
        {
            InstanceId = start.InstanceId,
            ExecutionId = Guid.NewGuid().ToString("N"),
        };
        using var span = OrchestrationTracing.StartCreate(start.Name, start.Version, instance);
        var message = new TaskMessage
        {
            OrchestrationInstance = instance,
            Event = new ExecutionStartedEvent(-1, start.SerializedInput)
            {
                Name = start.Name,
                Version = start.Version ?? string.Empty,
                OrchestrationInstance = instance,
                ScheduledStartTime = start.StartAt?.UtcDateTime,
                Tags = start.Tags,
                ParentTraceContext = OrchestrationTracing.ContextOf(span),
            },
        };
        var dedupe = start.DedupeStatuses.Select(RuntimeStatuses.ToCore).ToArray();
        await _client.CreateTaskOrchestrationAsync(message, dedupe);

        // A service may skip a deduplicated start silently (AzureStorage does unless
        // ThrowExceptionOnInvalidDedupeStatus is set): the instance then still carries another execution, and the
        // caller must hear that its start did not happen.
        var state = await GetStateAsync(start.InstanceId, cancellation);
        if (state is not null && state.OrchestrationInstance.ExecutionId != instance.ExecutionId)
        {
            throw new OrchestrationAlreadyExistsException(
                $"An orchestration with instance id '{start.InstanceId}' and status "
                + $"{RuntimeStatuses.FromCore(state.OrchestrationStatus)} already exists.");
        }
    }

    /// <summary>
    /// A start whose dedupe statuses leave a live status reusable replaces a live instance in that status: it is
    /// terminated and awaited first, as the SDK's clients do.
    /// </summary>
    private async Task TerminateReusableLiveInstanceAsync(StartRequest start, CancellationToken cancellation)
    {
        if (RuntimeStatuses.Live.All(start.DedupeStatuses.Contains))
        {
            return;
        }
        if (await GetStateAsync(start.InstanceId, cancellation) is not { } existing || !IsLive(existing))
        {
            return;
        }
        var status = RuntimeStatuses.FromCore(existing.OrchestrationStatus);
        if (start.DedupeStatuses.Contains(status))
        {
            return;
        }
        _logger.TerminatingToReuseId(start.InstanceId, status.ToString());
        var reason = $"Replaced by a new start of instance '{start.InstanceId}'.";
        await TerminateInstanceAsync(start.InstanceId, reason, cancellation);
        await WaitForInstanceCompletionAsync(start.InstanceId, cancellation: cancellation);
    }

    private static IReadOnlyCollection<OrchestrationRuntimeStatus> DedupeStatuses(StartOrchestrationOptions? options)
    {
        if (options?.DedupeStatuses is not { Count: > 0 } named)
        {
            return [.. RuntimeStatuses.Live];
        }
        return named.Select(name => Enum.TryParse<OrchestrationRuntimeStatus>(name, ignoreCase: true, out var status)
                && !int.TryParse(name, CultureInfo.InvariantCulture, out _)
                ? status
                : throw new ArgumentException($"'{name}' is not a runtime status.", nameof(options)))
            .ToHashSet();
    }

    private async Task<OrchestrationMetadata> PollAsync(
        string instanceId,
        bool getInputsAndOutputs,
        Func<OrchestrationMetadata, bool> done,
        CancellationToken cancellation)
    {
        var delay = _options.MinPollingInterval;
        while (true)
        {
            var metadata = await GetInstancesAsync(instanceId, getInputsAndOutputs, cancellation)
                ?? throw new InvalidOperationException($"No instance with id '{instanceId}' exists.");
            if (done(metadata))
            {
                return metadata;
            }
            await Task.Delay(delay, cancellation);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.MaxPollingInterval.Ticks));
        }
    }

    /// <summary>
    /// AzureStorage keeps only "type: message" of a failure in its instance row (as the output); the full details
    /// (stack trace, inner failure) are on the history's completion event.
    /// </summary>
    private async Task<TaskFailureDetails?> FailureFromHistoryAsync(OrchestrationState state)
    {
        var json = await _client.GetOrchestrationHistoryAsync(
            state.OrchestrationInstance.InstanceId, state.OrchestrationInstance.ExecutionId);
        var completed = HistoryJson.Parse(json).OfType<ExecutionCompletedEvent>().LastOrDefault();
        return ToFailureDetails(completed?.FailureDetails);
    }

    private async Task<int> PurgeChildrenAsync(
        string instanceId, PurgeInstanceOptions options, CancellationToken cancellation)
    {
        var purged = 0;
        foreach (var child in await ChildrenAsync(instanceId, cancellation))
        {
            if (await GetStateAsync(child, cancellation) is { } state
                && RuntimeStatuses.IsTerminal(RuntimeStatuses.FromCore(state.OrchestrationStatus)))
            {
                purged += (await PurgeInstanceAsync(child, options, cancellation)).PurgedInstanceCount;
            }
        }
        return purged;
    }

    private async Task<IReadOnlyList<string>> ChildrenAsync(string instanceId, CancellationToken cancellation)
    {
        var state = await GetStateAsync(instanceId, cancellation);
        if (state is null)
        {
            return [];
        }
        var json = await _client.GetOrchestrationHistoryAsync(instanceId, state.OrchestrationInstance.ExecutionId);
        return HistoryJson.SubOrchestrations(HistoryJson.Parse(json)).Distinct().ToList();
    }

    private async Task<OrchestrationState?> GetStateAsync(string instanceId, CancellationToken cancellation)
    {
        cancellation.ThrowIfCancellationRequested();
        // DurableTask.Core's client takes no token: stop waiting when the caller does (a hung storage would otherwise
        // hold the caller for the storage client's retries, minutes).
        var states = await _client.GetOrchestrationStateAsync(instanceId, allExecutions: false).WaitAsync(cancellation);
        return states?.FirstOrDefault(s => s is not null);
    }

    private Task SendAsync(string instanceId, HistoryEvent historyEvent, CancellationToken cancellation)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        cancellation.ThrowIfCancellationRequested();
        return _client.SendTaskOrchestrationMessageAsync(new TaskMessage
        {
            OrchestrationInstance = new OrchestrationInstance { InstanceId = instanceId },
            Event = historyEvent,
        });
    }

    private static bool IsLive(OrchestrationState state) =>
        RuntimeStatuses.Live.Contains(RuntimeStatuses.FromCore(state.OrchestrationStatus));

    private OrchestrationMetadata ToMetadata(
        OrchestrationState state, bool getInputsAndOutputs, TaskFailureDetails? failure = null) =>
        new(state.Name, state.OrchestrationInstance.InstanceId)
        {
            DataConverter = getInputsAndOutputs ? Converter : null,
            RuntimeStatus = RuntimeStatuses.FromCore(state.OrchestrationStatus),
            CreatedAt = Utc(state.CreatedTime),
            LastUpdatedAt = Utc(state.LastUpdatedTime),
            SerializedInput = getInputsAndOutputs ? state.Input : null,
            SerializedOutput = getInputsAndOutputs ? state.Output : null,
            SerializedCustomStatus = getInputsAndOutputs ? state.Status : null,
            FailureDetails = failure ?? ToFailureDetails(state.FailureDetails) ?? FailureFromOutput(state),
            Tags = state.Tags is null ? new Dictionary<string, string>() : new Dictionary<string, string>(state.Tags),
        };

    private static Core.Query.OrchestrationQuery ToCoreQuery(
        SdkQuery query, string? continuation, int? pageSize) => new()
        {
            RuntimeStatus = query.Statuses?.Select(RuntimeStatuses.ToCore).ToList(),
            CreatedTimeFrom = query.CreatedFrom?.UtcDateTime,
            CreatedTimeTo = query.CreatedTo?.UtcDateTime,
            TaskHubNames = query.TaskHubNames?.ToList(),
            InstanceIdPrefix = query.InstanceIdPrefix,
            PageSize = pageSize ?? query.PageSize,
            ContinuationToken = continuation ?? query.ContinuationToken,
            FetchInputsAndOutputs = query.FetchInputsAndOutputs,
        };

    private static TaskFailureDetails? ToFailureDetails(FailureDetails? details) => details is null
        ? null
        : new TaskFailureDetails(details.ErrorType, details.ErrorMessage, details.StackTrace,
            ToFailureDetails(details.InnerFailure), details.Properties);

    /// <summary>The "type: message" a failed instance's row holds as its output, when that is all there is.</summary>
    private static TaskFailureDetails? FailureFromOutput(OrchestrationState state)
    {
        if (state.OrchestrationStatus != Core.OrchestrationStatus.Failed || string.IsNullOrEmpty(state.Output))
        {
            return null;
        }
        var separator = state.Output.IndexOf(": ", StringComparison.Ordinal);
        return separator > 0
            ? new TaskFailureDetails(state.Output[..separator], state.Output[(separator + 2)..], null, null, null)
            : new TaskFailureDetails("Unknown", state.Output, null, null, null);
    }

    private static DateTimeOffset Utc(DateTime time) => new(DateTime.SpecifyKind(time, DateTimeKind.Utc));

    private T Capability<T>() where T : class => _client as T
        ?? throw new NotSupportedException($"{_client.GetType().Name} does not implement {typeof(T).Name}.");

    private sealed record StartRequest(
        string Name,
        string? Version,
        string? SerializedInput,
        string InstanceId,
        DateTimeOffset? StartAt,
        IDictionary<string, string>? Tags,
        IReadOnlyCollection<OrchestrationRuntimeStatus> DedupeStatuses);
}
