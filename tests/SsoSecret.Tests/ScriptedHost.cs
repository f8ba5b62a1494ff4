using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Security;
using System.Text;

namespace SsoSecret.Tests;

/// <summary>
/// A PowerShell host whose user is a script: it answers prompts from a queue and records everything written to it,
/// so prompting flows can be tested in-process.
/// </summary>
internal sealed class ScriptedHost : PSHost
{
    private readonly ScriptedUI _ui = new();

    public override string Name => "ScriptedHost";

    public override Version Version => new(1, 0);

    public override Guid InstanceId { get; } = Guid.NewGuid();

    public override PSHostUserInterface UI => _ui;

    public override CultureInfo CurrentCulture => CultureInfo.InvariantCulture;

    public override CultureInfo CurrentUICulture => CultureInfo.InvariantCulture;

    /// <summary>Answers for ReadLine and ReadLineAsSecureString, in order.</summary>
    public Queue<string> Answers => _ui.Answers;

    /// <summary>Answers for confirmation questions (ShouldProcess, ShouldContinue): true is yes.</summary>
    public Queue<bool> Choices => _ui.Choices;

    /// <summary>Everything the commands wrote to the host, prompts included.</summary>
    public string Transcript => _ui.Output.ToString();

    public override void EnterNestedPrompt() => throw new NotSupportedException();

    public override void ExitNestedPrompt() => throw new NotSupportedException();

    public override void NotifyBeginApplication()
    {
    }

    public override void NotifyEndApplication()
    {
    }

    public override void SetShouldExit(int exitCode)
    {
    }

    private sealed class ScriptedUI : PSHostUserInterface
    {
        internal Queue<string> Answers { get; } = new();

        internal Queue<bool> Choices { get; } = new();

        internal StringBuilder Output { get; } = new();

        public override PSHostRawUserInterface? RawUI => null;

        public override string ReadLine()
        {
            string answer = Answers.Dequeue();
            Output.AppendLine();
            return answer;
        }

        public override SecureString ReadLineAsSecureString()
        {
            var secure = new SecureString();
            foreach (char c in Answers.Dequeue())
            {
                secure.AppendChar(c);
            }

            Output.AppendLine();
            return secure;
        }

        public override int PromptForChoice(string caption, string message, Collection<ChoiceDescription> choices, int defaultChoice)
        {
            Output.AppendLine(caption).AppendLine(message);
            bool yes = Choices.Dequeue();
            for (int i = 0; i < choices.Count; i++)
            {
                string label = choices[i].Label.Replace("&", string.Empty);
                if (yes ? label.StartsWith("Yes", StringComparison.Ordinal) && !label.Contains("All") : label.StartsWith("No", StringComparison.Ordinal) && !label.Contains("All"))
                {
                    return i;
                }
            }

            throw new InvalidOperationException("No matching choice among: " + string.Join(", ", choices));
        }

        public override Dictionary<string, PSObject> Prompt(string caption, string message, Collection<FieldDescription> descriptions) => throw new NotSupportedException();

        public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName) => throw new NotSupportedException();

        public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName, PSCredentialTypes allowedCredentialTypes, PSCredentialUIOptions options) => throw new NotSupportedException();

        public override void Write(string value) => Output.Append(value);

        public override void Write(ConsoleColor foregroundColor, ConsoleColor backgroundColor, string value) => Output.Append(value);

        public override void WriteLine(string value) => Output.AppendLine(value);

        public override void WriteErrorLine(string value) => Output.AppendLine(value);

        public override void WriteDebugLine(string message) => Output.AppendLine("DEBUG: " + message);

        public override void WriteProgress(long sourceId, ProgressRecord record)
        {
        }

        public override void WriteVerboseLine(string message) => Output.AppendLine("VERBOSE: " + message);

        public override void WriteWarningLine(string message) => Output.AppendLine("WARNING: " + message);
    }
}
