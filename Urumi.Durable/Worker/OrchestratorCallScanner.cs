using System.Reflection;
using System.Reflection.Emit;
using System.Runtime.CompilerServices;

namespace Urumi.Durable.Worker;

/// <summary>
/// Reads an orchestrator's IL to find the activity and sub-orchestrator names it passes as constants
/// (literals, nameof, const), so that a misspelt name stops start-up instead of failing an instance later.
/// Conservative: a name it cannot read for certain is not reported.
/// </summary>
internal static class OrchestratorCallScanner
{
    private static readonly Dictionary<short, OpCode> OpCodes = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    public sealed record Call(string Method, string Name);

    public static IReadOnlyList<Call> Scan(MethodInfo orchestrator)
    {
        var calls = new List<Call>();
        ScanBody(orchestrator, calls);
        if (orchestrator.GetCustomAttribute<AsyncStateMachineAttribute>() is { } sm
            && sm.StateMachineType.GetMethod("MoveNext", BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public) is { } moveNext)
        {
            ScanBody(moveNext, calls);
        }
        return calls;
    }

    private static void ScanBody(MethodBase method, List<Call> calls)
    {
        var il = method.GetMethodBody()?.GetILAsByteArray();
        if (il is null)
        {
            return;
        }
        var module = method.Module;
        var targets = BranchTargets(method, il);
        var stack = new List<string?>();
        var pos = 0;
        while (pos < il.Length)
        {
            if (targets.Contains(pos))
            {
                stack.Clear();
            }
            var code = il[pos] == 0xFE ? (short)(0xFE00 | il[pos + 1]) : il[pos];
            pos += il[pos] == 0xFE ? 2 : 1;
            if (!OpCodes.TryGetValue(code, out var op))
            {
                return;
            }
            var operandStart = pos;
            pos += OperandSize(op, il, pos);
            if (op == System.Reflection.Emit.OpCodes.Ldstr)
            {
                stack.Add(module.ResolveString(BitConverter.ToInt32(il, operandStart)));
                continue;
            }
            if (op.FlowControl is FlowControl.Branch or FlowControl.Return or FlowControl.Throw || op == System.Reflection.Emit.OpCodes.Leave || op == System.Reflection.Emit.OpCodes.Leave_S)
            {
                stack.Clear();
                continue;
            }
            if (op == System.Reflection.Emit.OpCodes.Dup)
            {
                stack.Add(stack.Count > 0 ? stack[^1] : null);
                continue;
            }
            if (op == System.Reflection.Emit.OpCodes.Call || op == System.Reflection.Emit.OpCodes.Callvirt || op == System.Reflection.Emit.OpCodes.Newobj)
            {
                MethodBase? callee;
                try
                {
                    callee = module.ResolveMethod(BitConverter.ToInt32(il, operandStart), method.DeclaringType?.GetGenericArguments(), method.IsGenericMethod ? method.GetGenericArguments() : null);
                }
                catch (ArgumentException)
                {
                    stack.Clear();
                    continue;
                }
                if (callee is null)
                {
                    stack.Clear();
                    continue;
                }
                var parameters = callee.GetParameters();
                if (op != System.Reflection.Emit.OpCodes.Newobj
                    && typeof(TaskOrchestrationContext).IsAssignableFrom(callee.DeclaringType)
                    && callee.Name is "CallActivityAsync" or "CallSubOrchestratorAsync"
                    && parameters.Length > 0 && parameters[0].ParameterType == typeof(string))
                {
                    var slot = stack.Count - parameters.Length;
                    if (slot >= 0 && stack[slot] is { } name)
                    {
                        calls.Add(new Call(callee.Name, name));
                    }
                }
                var pops = parameters.Length + (op != System.Reflection.Emit.OpCodes.Newobj && !callee.IsStatic ? 1 : 0);
                Pop(stack, pops);
                var returns = op == System.Reflection.Emit.OpCodes.Newobj || (callee is MethodInfo mi && mi.ReturnType != typeof(void));
                if (returns)
                {
                    stack.Add(null);
                }
                continue;
            }
            if (op.StackBehaviourPop == StackBehaviour.Varpop || op.StackBehaviourPush == StackBehaviour.Varpush)
            {
                stack.Clear();
                continue;
            }
            Pop(stack, PopCount(op.StackBehaviourPop));
            for (var i = PushCount(op.StackBehaviourPush); i > 0; i--)
            {
                stack.Add(null);
            }
        }
    }

    private static HashSet<int> BranchTargets(MethodBase method, byte[] il)
    {
        var targets = new HashSet<int>();
        foreach (var clause in method.GetMethodBody()!.ExceptionHandlingClauses)
        {
            targets.Add(clause.HandlerOffset);
            targets.Add(clause.TryOffset);
            if (clause.Flags == ExceptionHandlingClauseOptions.Filter)
            {
                targets.Add(clause.FilterOffset);
            }
        }
        var pos = 0;
        while (pos < il.Length)
        {
            var code = il[pos] == 0xFE ? (short)(0xFE00 | il[pos + 1]) : il[pos];
            pos += il[pos] == 0xFE ? 2 : 1;
            if (!OpCodes.TryGetValue(code, out var op))
            {
                break;
            }
            switch (op.OperandType)
            {
                case OperandType.ShortInlineBrTarget:
                    targets.Add(pos + 1 + (sbyte)il[pos]);
                    break;
                case OperandType.InlineBrTarget:
                    targets.Add(pos + 4 + BitConverter.ToInt32(il, pos));
                    break;
                case OperandType.InlineSwitch:
                    var n = BitConverter.ToInt32(il, pos);
                    var baseOffset = pos + 4 + (4 * n);
                    for (var i = 0; i < n; i++)
                    {
                        targets.Add(baseOffset + BitConverter.ToInt32(il, pos + 4 + (4 * i)));
                    }
                    break;
            }
            pos += OperandSize(op, il, pos);
        }
        return targets;
    }

    private static int OperandSize(OpCode op, byte[] il, int pos) => op.OperandType switch
    {
        OperandType.InlineNone => 0,
        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
        OperandType.InlineVar => 2,
        OperandType.InlineI8 or OperandType.InlineR => 8,
        OperandType.InlineSwitch => 4 + (4 * BitConverter.ToInt32(il, pos)),
        _ => 4,
    };

    private static void Pop(List<string?> stack, int count)
    {
        var n = Math.Min(count, stack.Count);
        stack.RemoveRange(stack.Count - n, n);
    }

    private static int PopCount(StackBehaviour b) => b switch
    {
        StackBehaviour.Pop0 => 0,
        StackBehaviour.Pop1 or StackBehaviour.Popi or StackBehaviour.Popref => 1,
        StackBehaviour.Popi_popi_popi or StackBehaviour.Popref_popi_popi or StackBehaviour.Popref_popi_popi8
            or StackBehaviour.Popref_popi_popr4 or StackBehaviour.Popref_popi_popr8 or StackBehaviour.Popref_popi_popref
            or StackBehaviour.Popref_popi_pop1 => 3,
        _ => 2,
    };

    private static int PushCount(StackBehaviour b) => b switch
    {
        StackBehaviour.Push0 => 0,
        StackBehaviour.Push1_push1 => 2,
        _ => 1,
    };
}
