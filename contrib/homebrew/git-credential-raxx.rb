# Homebrew formula for git-credential-raxx.
#
# For a release: `make dist` on the tag vX.Y.Z prints the tarball's name
# and SHA-256; publish the tarball, then set url and sha256 below (the
# addresses assume the repository is github.com/raxx-app/git-credential-raxx).
# Until then, `brew install --HEAD ./git-credential-raxx.rb` builds from git.
class GitCredentialRaxx < Formula
  desc "Git credential helper and gh token source that act as a GitHub App bot"
  homepage "https://github.com/raxx-app/git-credential-raxx"
  url "https://github.com/raxx-app/git-credential-raxx/releases/download/v0.2.0/git-credential-raxx-0.2.0.tar.gz"
  sha256 "0000000000000000000000000000000000000000000000000000000000000000"
  license "MIT"
  head "https://github.com/raxx-app/git-credential-raxx.git", branch: "main"

  depends_on "pkg-config" => :build
  depends_on "curl"
  depends_on "json-c"
  depends_on "libsodium"
  depends_on "libyaml"
  depends_on "openssl@3"

  def install
    # LAZY=0: libcurl and OpenSSL linked as usual, so that brew sees them
    # as what they are (dependencies); WERROR stays off for a packager.
    system "make", "install", "LAZY=0", "WERROR=0",
           "PREFIX=#{prefix}",
           "MANDIR=#{man}",
           "BASHCOMPDIR=#{bash_completion}",
           "ZSHCOMPDIR=#{zsh_completion}",
           "FISHCOMPDIR=#{fish_completion}"
  end

  def caveats
    <<~EOS
      To make a worktree act as a bot (its helper and commit author):
        git-credential-raxx --agent AGENT setup
      For gh to run as the worktree's bot, put the shim first in PATH:
        export PATH="#{opt_libexec}/git-credential-raxx:$PATH"
      The real gh is then the next one in PATH (brew install gh).
    EOS
  end

  test do
    assert_match(/^git-credential-raxx \d+\.\d+\.\d+/,
                 shell_output("#{bin}/git-credential-raxx --version"))
    # no bot, no answer: git asks its next helper
    output = pipe_output("#{bin}/git-credential-raxx get",
                         "protocol=https\nhost=github.com\n\n", 0)
    assert_empty output
    assert_predicate libexec/"git-credential-raxx/gh", :executable?
  end
end
