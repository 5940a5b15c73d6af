using Urumi.Durable.Worker;

namespace Urumi.Durable.Tests.Engine;

public sealed class StepSlotsTests
{
    [Fact]
    public async Task When_slots_run_short_a_running_instance_gets_the_next_one_before_a_new_instance()
    {
        var slots = new StepSlots(1);
        await slots.WaitAsync(starting: false, CancellationToken.None);
        var starting = slots.WaitAsync(starting: true, CancellationToken.None);
        var running = slots.WaitAsync(starting: false, CancellationToken.None);

        slots.Release();
        await running.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.False(starting.IsCompleted);

        slots.Release();
        await starting.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task A_cancelled_waiter_does_not_take_the_slot_it_was_waiting_for()
    {
        var slots = new StepSlots(1);
        await slots.WaitAsync(starting: false, CancellationToken.None);
        using var cts = new CancellationTokenSource();
        var cancelled = slots.WaitAsync(starting: false, cts.Token);
        var next = slots.WaitAsync(starting: true, CancellationToken.None);

        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        slots.Release();

        await next.WaitAsync(TimeSpan.FromSeconds(5));
        slots.Release();
        await slots.WaitAsync(starting: true, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));
    }
}
