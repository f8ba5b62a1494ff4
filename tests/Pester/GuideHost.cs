// The PowerShell host that tests/Pester/Guides.Tests.ps1 runs the guides' code blocks in (compiled there with
// Add-Type). It records everything written to it, and plays the person at the prompt:
//  - answering: a password prompt (ReadLineAsSecureString, so also Read-Host -AsSecureString) gets the guide's
//    password, a line prompt (the password hint) gets the guide's hint, a credential prompt a credential holding the
//    password, and a confirmation the "Yes" choice;
//  - not answering: every prompt throws, as PowerShell's own host does with -NonInteractive, so a block that would
//    wait for a person fails (SsoSecret turns it into SsoSecret.PasswordRequired or SsoSecret.ConfirmationRequired).
using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Security;
using System.Text;

namespace SsoSecretGuides
{
    public sealed class GuideHost : PSHost
    {
        private readonly Guid _id = Guid.NewGuid();
        private readonly GuideHostUserInterface _ui;

        public GuideHost(bool answersPrompts, string password, string hint)
        {
            _ui = new GuideHostUserInterface(answersPrompts, password, hint);
        }

        public override string Name => "SsoSecretGuideHost";

        public override Version Version => new Version(1, 0);

        public override Guid InstanceId => _id;

        public override PSHostUserInterface UI => _ui;

        public override CultureInfo CurrentCulture => CultureInfo.CurrentCulture;

        public override CultureInfo CurrentUICulture => CultureInfo.CurrentUICulture;

        /// <summary>Everything written to the host since the last <see cref="ClearTranscript"/>.</summary>
        public string Transcript => _ui.Transcript.ToString();

        /// <summary>The prompts the host was asked since the last <see cref="ClearTranscript"/>, in order.</summary>
        public IList<string> Prompts => _ui.Prompts;

        /// <summary>How many prompts the host was asked in all, answered or not.</summary>
        public int PromptCount => _ui.PromptCount;

        public void ClearTranscript()
        {
            _ui.Transcript.Clear();
            _ui.Prompts.Clear();
        }

        public override void SetShouldExit(int exitCode)
        {
        }

        public override void EnterNestedPrompt() => throw new NotSupportedException("The guide host has no nested prompt.");

        public override void ExitNestedPrompt() => throw new NotSupportedException("The guide host has no nested prompt.");

        public override void NotifyBeginApplication()
        {
        }

        public override void NotifyEndApplication()
        {
        }
    }

    public sealed class GuideHostUserInterface : PSHostUserInterface
    {
        private readonly bool _answers;
        private readonly string _password;
        private readonly string _hint;
        private readonly GuideHostRawUserInterface _raw = new GuideHostRawUserInterface();

        public GuideHostUserInterface(bool answersPrompts, string password, string hint)
        {
            _answers = answersPrompts;
            _password = password;
            _hint = hint;
        }

        internal StringBuilder Transcript { get; } = new StringBuilder();

        internal List<string> Prompts { get; } = new List<string>();

        internal int PromptCount { get; private set; }

        public override PSHostRawUserInterface RawUI => _raw;

        private void Ask(string what)
        {
            // The prompt text itself was written just before (Write): it is the transcript's last line.
            string text = Transcript.ToString();
            int start = text.LastIndexOf('\n') + 1;
            Prompts.Add(what + ": " + text.Substring(start).Trim());
            PromptCount++;
            if (!_answers)
            {
                throw new PSInvalidOperationException("This guide runs unattended: nobody answers a prompt (" + what + ").");
            }
        }

        public override string ReadLine()
        {
            Ask("line");
            Transcript.AppendLine(_hint);
            return _hint;
        }

        public override SecureString ReadLineAsSecureString()
        {
            Ask("password");
            Transcript.AppendLine(new string('*', _password.Length));
            return Secure();
        }

        private SecureString Secure()
        {
            var secure = new SecureString();
            foreach (char c in _password)
            {
                secure.AppendChar(c);
            }

            secure.MakeReadOnly();
            return secure;
        }

        public override Dictionary<string, PSObject> Prompt(string caption, string message, Collection<FieldDescription> descriptions)
        {
            // Read-Host -Prompt comes here: a SecureString field gets the password, a credential field a credential,
            // any other field the hint.
            var answers = new Dictionary<string, PSObject>();
            foreach (var field in descriptions)
            {
                Transcript.Append(field.Name + ": ");
                string type = field.ParameterTypeFullName ?? string.Empty;
                if (type.EndsWith("SecureString", StringComparison.Ordinal))
                {
                    answers[field.Name] = new PSObject(ReadLineAsSecureString());
                }
                else if (type.EndsWith("PSCredential", StringComparison.Ordinal))
                {
                    answers[field.Name] = new PSObject(PromptForCredential(caption, message, string.Empty, string.Empty));
                }
                else
                {
                    answers[field.Name] = new PSObject(ReadLine());
                }
            }

            return answers;
        }

        public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName)
        {
            Ask("credential " + message);
            return new PSCredential(string.IsNullOrEmpty(userName) ? "guide" : userName, Secure());
        }

        public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName, PSCredentialTypes allowedCredentialTypes, PSCredentialUIOptions options)
            => PromptForCredential(caption, message, userName, targetName);

        public override int PromptForChoice(string caption, string message, Collection<ChoiceDescription> choices, int defaultChoice)
        {
            Transcript.AppendLine(caption);
            Transcript.AppendLine(message);
            Ask("choice");
            for (int i = 0; i < choices.Count; i++)
            {
                if (string.Equals(choices[i].Label.Replace("&", string.Empty), "Yes", StringComparison.OrdinalIgnoreCase))
                {
                    Transcript.AppendLine("[Y] Yes");
                    return i;
                }
            }

            return defaultChoice;
        }

        public override void Write(string value) => Transcript.Append(value);

        public override void Write(ConsoleColor foregroundColor, ConsoleColor backgroundColor, string value) => Transcript.Append(value);

        public override void WriteLine(string value) => Transcript.AppendLine(value);

        public override void WriteErrorLine(string value) => Transcript.AppendLine("ERROR: " + value);

        public override void WriteDebugLine(string message) => Transcript.AppendLine("DEBUG: " + message);

        public override void WriteVerboseLine(string message) => Transcript.AppendLine("VERBOSE: " + message);

        public override void WriteWarningLine(string message) => Transcript.AppendLine("WARNING: " + message);

        public override void WriteProgress(long sourceId, ProgressRecord record)
        {
        }
    }

    public sealed class GuideHostRawUserInterface : PSHostRawUserInterface
    {
        public override ConsoleColor ForegroundColor { get; set; } = ConsoleColor.Gray;

        public override ConsoleColor BackgroundColor { get; set; } = ConsoleColor.Black;

        public override Coordinates CursorPosition { get; set; }

        public override int CursorSize { get; set; } = 1;

        public override Size BufferSize { get; set; } = new Size(160, 50);

        public override Size WindowSize { get; set; } = new Size(160, 50);

        public override Coordinates WindowPosition { get; set; }

        public override Size MaxWindowSize => new Size(160, 50);

        public override Size MaxPhysicalWindowSize => new Size(160, 50);

        public override bool KeyAvailable => false;

        public override string WindowTitle { get; set; } = string.Empty;

        public override KeyInfo ReadKey(ReadKeyOptions options) => throw new PSInvalidOperationException("The guide host reads no keys.");

        public override void FlushInputBuffer()
        {
        }

        public override void SetBufferContents(Coordinates origin, BufferCell[,] contents)
        {
        }

        public override void SetBufferContents(Rectangle rectangle, BufferCell fill)
        {
        }

        public override BufferCell[,] GetBufferContents(Rectangle rectangle) => throw new NotSupportedException();

        public override void ScrollBufferContents(Rectangle source, Coordinates destination, Rectangle clip, BufferCell fill)
        {
        }
    }
}
