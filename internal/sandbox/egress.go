package sandbox

import (
	"fmt"

	"github.com/devbox-dev/devbox/internal/config"
	"github.com/devbox-dev/devbox/internal/proto"
)

// egressSpec is the launch spec's part of [egress]: nil but for strict.
func egressSpec(c config.Config) *proto.Egress {
	if c.Security != config.SecurityStrict {
		return nil
	}
	e := c.Egress
	return &proto.Egress{Allow: nonNil(e.Allow), Deny: nonNil(e.Deny), AllowLocal: nonNil(e.AllowLocal)}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return append([]string(nil), s...)
}

// ProxyEnv points a strict session's programs at devbox's proxy: the
// usual variables in both cases, and the settings of the tools that read
// their own (git, npm, pip; Go reads HTTPS_PROXY). The proxy is not what
// confines the sandbox (its network namespace has no route out), only its
// one way out; local services inside stay direct through NO_PROXY.
// ALL_PROXY is the HTTP proxy too, not socks5h://, which the proxy also
// serves: every program that reads ALL_PROXY understands an HTTP proxy,
// and some (Python's requests without PySocks, aria2) fail on SOCKS.
func ProxyEnv() []string {
	url := fmt.Sprintf("http://127.0.0.1:%d", proto.ProxyPort)
	noProxy := "localhost,127.0.0.1,::1"
	var out []string
	for _, k := range []string{"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"} {
		out = append(out, k+"="+url)
	}
	out = append(out, "NO_PROXY="+noProxy, "no_proxy="+noProxy,
		// git: http.proxy for http and https remotes.
		"GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=http.proxy", "GIT_CONFIG_VALUE_0="+url,
		// npm and pip.
		"npm_config_proxy="+url, "npm_config_https_proxy="+url, "npm_config_noproxy="+noProxy,
		"PIP_PROXY="+url,
	)
	return out
}
