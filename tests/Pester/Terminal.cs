// A real terminal for the suites that type at one (tests/Pester/Prompts.Tests.ps1, RecoveryShares.Tests.ps1; compiled there with Add-Type, Linux only): a pseudo-terminal
// whose far side is a program's standard input, output and controlling terminal, as when a person runs it in a
// terminal window. The test plays the person: it waits for text to appear (Expect) and types lines (Send). It also
// answers the cursor position queries (ESC [6n) that .NET's console and PSReadLine send, as a terminal emulator does.
using System;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;

namespace SsoSecretTests
{
    public sealed class Terminal : IDisposable
    {
        private const int O_RDWR = 2;
        private const int O_NOCTTY = 0x100;
        private const ulong TIOCSWINSZ = 0x5414;
        private const uint EchoFlag = 0x8;
        private static readonly Regex s_escapes = new Regex(@"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07|\x1b[=>()][0-9A-B]?|\r", RegexOptions.Compiled);

        private readonly int _master;
        private readonly Process _process;
        private readonly Thread _reader;
        private readonly StringBuilder _raw = new StringBuilder();
        private readonly object _sync = new object();
        private int _cursor;

        private Terminal(int master, Process process)
        {
            _master = master;
            _process = process;
            _reader = new Thread(ReadLoop) { IsBackground = true, Name = "Terminal reader" };
            _reader.Start();
        }

        /// <summary>Everything the program wrote, escape sequences removed.</summary>
        public string Text
        {
            get { lock (_sync) { return s_escapes.Replace(_raw.ToString(), string.Empty); } }
        }

        public bool HasExited => _process.HasExited;

        public int ExitCode => _process.ExitCode;

        public int ProcessId => _process.Id;

        /// <summary>Starts <paramref name="program"/> with <paramref name="arguments"/> on a new terminal of 200 x 50.</summary>
        public static Terminal Start(string program, string[] arguments, System.Collections.IDictionary environment)
        {
            int master = posix_openpt(O_RDWR | O_NOCTTY);
            if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0)
            {
                throw new InvalidOperationException("No pseudo-terminal: errno " + Marshal.GetLastWin32Error());
            }

            var name = new StringBuilder(256);
            if (ptsname_r(master, name, name.Capacity) != 0)
            {
                throw new InvalidOperationException("ptsname_r failed: errno " + Marshal.GetLastWin32Error());
            }

            var size = new WinSize { Rows = 50, Columns = 200 };
            ioctl(master, TIOCSWINSZ, ref size);

            // setsid makes the program a session leader with no terminal; the shell then opens the terminal's far side
            // (without O_NOCTTY), which makes it the program's controlling terminal.
            var start = new ProcessStartInfo("setsid") { UseShellExecute = false };
            start.ArgumentList.Add("/bin/sh");
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add("exec \"$0\" \"$@\" <\"$SSOSECRET_TEST_PTS\" >\"$SSOSECRET_TEST_PTS\" 2>&1");
            start.ArgumentList.Add(program);
            foreach (string argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }

            start.Environment["SSOSECRET_TEST_PTS"] = name.ToString();
            start.Environment["TERM"] = "xterm";
            foreach (System.Collections.DictionaryEntry pair in environment)
            {
                start.Environment[(string)pair.Key] = (string)pair.Value;
            }

            return new Terminal(master, Process.Start(start));
        }

        /// <summary>
        /// Waits until <paramref name="pattern"/> appears in the text written since the last match, and returns true;
        /// false after <paramref name="timeoutSeconds"/>. The next Expect looks only after this match.
        /// </summary>
        public bool Expect(string pattern, double timeoutSeconds)
        {
            var regex = new Regex(pattern);
            var watch = Stopwatch.StartNew();
            while (true)
            {
                string text = Text;
                var match = regex.Match(text, Math.Min(_cursor, text.Length));
                if (match.Success)
                {
                    _cursor = match.Index + match.Length;
                    return true;
                }

                if (watch.Elapsed.TotalSeconds > timeoutSeconds)
                {
                    return false;
                }

                Thread.Sleep(50);
            }
        }

        /// <summary>Types a line (the text and Enter).</summary>
        public void Send(string line) => Write(line + "\r");

        /// <summary>
        /// Types a secret at a masked prompt, as a person does once the program reads it: waits until the terminal no
        /// longer echoes (the program's masked reading has turned ECHO off), then types the line. A line sent earlier would
        /// be echoed by the terminal itself, before the program reads it, whatever the program does. Throws when echo is
        /// still on after <paramref name="timeoutSeconds"/>: a prompt for a secret that leaves echo on shows what is typed.
        /// </summary>
        public void SendSecret(string line, double timeoutSeconds)
        {
            WaitUntilReading(timeoutSeconds, "a secret typed now would be shown");
            Send(line);
        }

        /// <summary>
        /// Presses Ctrl+C once the program reads what is typed (echo is off, as in <see cref="SendSecret"/>): a person
        /// who changes their mind at a prompt.
        /// </summary>
        public void Interrupt(double timeoutSeconds)
        {
            WaitUntilReading(timeoutSeconds, "the program is not reading keys");
            Write("\x03");
        }

        private void WaitUntilReading(double timeoutSeconds, string consequence)
        {
            var watch = Stopwatch.StartNew();
            while (EchoIsOn())
            {
                if (watch.Elapsed.TotalSeconds > timeoutSeconds)
                {
                    throw new TimeoutException($"The terminal still echoes what is typed {timeoutSeconds} s after the prompt: {consequence}.");
                }

                Thread.Sleep(20);
            }
        }

        private bool EchoIsOn()
        {
            // TCGETS on a pseudo-terminal's master returns the settings of its far side, the program's terminal. Linux's
            // struct termios: c_iflag, c_oflag, c_cflag, c_lflag (4 bytes each), then c_line and c_cc; ECHO is 0x8 in c_lflag.
            var termios = new byte[64];
            if (tcgetattr(_master, termios) != 0)
            {
                throw new InvalidOperationException("tcgetattr failed: errno " + Marshal.GetLastWin32Error());
            }

            return (BitConverter.ToUInt32(termios, 12) & EchoFlag) != 0;
        }

        public bool WaitForExit(double timeoutSeconds) => _process.WaitForExit((int)(timeoutSeconds * 1000));

        public void Dispose()
        {
            try
            {
                if (!_process.HasExited)
                {
                    _process.Kill(entireProcessTree: true);
                    _process.WaitForExit(10000);
                }
            }
            catch (InvalidOperationException)
            {
            }

            close(_master);
            _process.Dispose();
        }

        private void Write(string text)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(text);
            lock (_sync)
            {
                write(_master, bytes, (IntPtr)bytes.Length);
            }
        }

        private void ReadLoop()
        {
            var buffer = new byte[65536];
            var decoder = Encoding.UTF8.GetDecoder();
            var chars = new char[65536];
            while (true)
            {
                long read = (long)read_(_master, buffer, (IntPtr)buffer.Length);
                if (read <= 0)
                {
                    return; // EIO: the program and everything it started have closed the terminal
                }

                int count = decoder.GetChars(buffer, 0, (int)read, chars, 0);
                string chunk = new string(chars, 0, count);
                lock (_sync)
                {
                    _raw.Append(chunk);
                }

                for (int at = chunk.IndexOf("\x1b[6n", StringComparison.Ordinal); at >= 0; at = chunk.IndexOf("\x1b[6n", at + 1, StringComparison.Ordinal))
                {
                    Write("\x1b[5;1R");
                }
            }
        }

        [StructLayout(LayoutKind.Sequential)]
        private struct WinSize
        {
            public ushort Rows;
            public ushort Columns;
            public ushort Width;
            public ushort Height;
        }

        [DllImport("libc", SetLastError = true)]
        private static extern int posix_openpt(int flags);

        [DllImport("libc", SetLastError = true)]
        private static extern int grantpt(int fd);

        [DllImport("libc", SetLastError = true)]
        private static extern int tcgetattr(int fd, byte[] termios);

        [DllImport("libc", SetLastError = true)]
        private static extern int unlockpt(int fd);

        [DllImport("libc", SetLastError = true)]
        private static extern int ptsname_r(int fd, StringBuilder buffer, int length);

        [DllImport("libc", SetLastError = true)]
        private static extern int ioctl(int fd, ulong request, ref WinSize size);

        [DllImport("libc", EntryPoint = "read", SetLastError = true)]
        private static extern IntPtr read_(int fd, byte[] buffer, IntPtr count);

        [DllImport("libc", SetLastError = true)]
        private static extern IntPtr write(int fd, byte[] buffer, IntPtr count);

        [DllImport("libc", SetLastError = true)]
        private static extern int close(int fd);
    }
}
