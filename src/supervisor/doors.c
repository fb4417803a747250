// SPDX-License-Identifier: Apache-2.0
/* The doors to the host a read-only view leaves open, closed by default: credentials in the environment and
 * under $HOME, and files the host runs later. The lists are data, reviewed like seccomp/policy.def. */

#include <fnmatch.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "doors.h"
#include "sbx/util.h"

/*
 * Environment variables that carry credentials: not passed to the payload
 * unless --keep-env names them. Matched without regard to case (tools read
 * npm_config__authToken and NPM_CONFIG__AUTHTOKEN alike). Exact names for
 * what the patterns miss; patterns for the naming habits of tokens,
 * passwords and keys. A false positive costs a --keep-env; a miss hands a
 * token to untrusted code, which in allowlist posture can use it against
 * an allowed host.
 */
static const char *const sbx_secret_env[] = {
	/* agents and doors to host services */
	"SSH_AUTH_SOCK",
	"SSH_AGENT_PID",
	"GPG_AGENT_INFO",
	"KRB5CCNAME",
	"DBUS_SESSION_BUS_ADDRESS",
	/* cloud providers */
	"AWS_ACCESS_KEY_ID",
	"AWS_SECRET_ACCESS_KEY",
	"AWS_SESSION_TOKEN",
	"AWS_SECURITY_TOKEN",
	"AWS_WEB_IDENTITY_TOKEN_FILE",
	"AWS_CONTAINER_CREDENTIALS_FULL_URI",
	"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
	"AWS_CONTAINER_AUTHORIZATION_TOKEN",
	"AZURE_CLIENT_SECRET",
	"AZURE_CLIENT_CERTIFICATE_PASSWORD",
	"AZURE_FEDERATED_TOKEN_FILE",
	"GOOGLE_APPLICATION_CREDENTIALS",
	"GOOGLE_OAUTH_ACCESS_TOKEN",
	"CLOUDSDK_AUTH_ACCESS_TOKEN_FILE",
	"DIGITALOCEAN_ACCESS_TOKEN",
	"HCLOUD_TOKEN",
	/* CI runners */
	"GITHUB_TOKEN",
	"GH_TOKEN",
	"GH_ENTERPRISE_TOKEN",
	"ACTIONS_RUNTIME_TOKEN",
	"ACTIONS_ID_TOKEN_REQUEST_TOKEN",
	"ACTIONS_ID_TOKEN_REQUEST_URL",
	"ACTIONS_CACHE_URL",
	"ACTIONS_RESULTS_URL",
	"CI_JOB_TOKEN",
	"CI_JOB_JWT",
	"CI_JOB_JWT_V1",
	"CI_JOB_JWT_V2",
	"CI_REGISTRY_PASSWORD",
	"CI_DEPLOY_PASSWORD",
	"CI_DEPENDENCY_PROXY_PASSWORD",
	"GITLAB_TOKEN",
	"SYSTEM_ACCESSTOKEN",
	"BUILDKITE_AGENT_ACCESS_TOKEN",
	"CIRCLE_TOKEN",
	"CIRCLE_OIDC_TOKEN",
	"CIRCLE_OIDC_TOKEN_V2",
	"BITBUCKET_STEP_OIDC_TOKEN",
	"JENKINS_API_TOKEN",
	/* package registries */
	"NPM_TOKEN",
	"NODE_AUTH_TOKEN",
	"NPM_CONFIG__AUTH",
	"NPM_CONFIG__AUTHTOKEN",
	"YARN_NPM_AUTH_TOKEN",
	"PYPI_TOKEN",
	"TWINE_USERNAME",
	"TWINE_PASSWORD",
	"UV_PUBLISH_TOKEN",
	"POETRY_PYPI_TOKEN_PYPI",
	"CARGO_REGISTRY_TOKEN",
	"GEM_HOST_API_KEY",
	"NUGET_API_KEY",
	"DOCKER_AUTH_CONFIG",
	"DOCKER_PASSWORD",
	"REGISTRY_AUTH_FILE",
	/* other services */
	"VAULT_TOKEN",
	"CONSUL_HTTP_TOKEN",
	"NOMAD_TOKEN",
	"HEROKU_API_KEY",
	"CODECOV_TOKEN",
	"SONAR_TOKEN",
	"SENTRY_AUTH_TOKEN",
	"SLACK_TOKEN",
	"SLACK_BOT_TOKEN",
	"OPENAI_API_KEY",
	"ANTHROPIC_API_KEY",
	"HF_TOKEN",
	"HUGGING_FACE_HUB_TOKEN",
	"KAGGLE_KEY",
	"DATABRICKS_TOKEN",
	"PGPASSWORD",
	"MYSQL_PWD",
	"REDISCLI_AUTH",
};

static const char *const sbx_secret_env_patterns[] = {
	"*_TOKEN",     "*_TOKEN_*", "*TOKEN_FILE",  "*SECRET*",	     "*PASSWORD*",   "*PASSWD*",
	"*_API_KEY",   "*_APIKEY",  "*ACCESS_KEY*", "*PRIVATE_KEY*", "*CREDENTIAL*", "*_AUTH_TOKEN",
	"*_AUTHTOKEN", "*_PAT",	    "*_JWT",	    "*_JWT_*",	     "*_OIDC_*",
};

/**
 * sbx_doors_env_is_secret() - whether an environment variable carries a credential.
 * @name: the variable's name
 * @len: its length (@name need not be NUL-terminated)
 *
 * Return: true if the default environment leaves it out.
 */
bool sbx_doors_env_is_secret(const char *name, size_t len)
{
	char n[256];

	if (len == 0 || len >= sizeof(n))
		return false;
	memcpy(n, name, len);
	n[len] = '\0';
	for (size_t i = 0; i < SBX_ARRAY_SIZE(sbx_secret_env); i++)
		if (strcasecmp(n, sbx_secret_env[i]) == 0)
			return true;
	for (size_t i = 0; i < SBX_ARRAY_SIZE(sbx_secret_env_patterns); i++)
		if (fnmatch(sbx_secret_env_patterns[i], n, FNM_CASEFOLD) == 0)
			return true;
	return false;
}

/*
 * Credential stores under $HOME: covered with an empty read-only placeholder
 * (a directory for a directory, a file for a file) unless --show names them.
 * A path that does not exist costs one failed lookup.
 */
const char *const sbx_doors_home_secrets[] = {
	".ssh",
	".gnupg",
	".aws",
	".azure",
	".config/gcloud",
	".kube",
	".docker/config.json",
	".netrc",
	".git-credentials",
	".config/git/credentials",
	".config/gh",
	".config/hub",
	".pypirc",
	".npmrc",
	".yarnrc",
	".yarnrc.yml",
	".cargo/credentials",
	".cargo/credentials.toml",
	".gem/credentials",
	".m2/settings.xml",
	".m2/settings-security.xml",
	".gradle/gradle.properties",
	".nuget/NuGet/NuGet.Config",
	".terraform.d/credentials.tfrc.json",
	".vault-token",
	".password-store",
	".local/share/keyrings",
	".local/share/kwalletd",
	".pki",
	".mozilla",
	".thunderbird",
	".config/google-chrome",
	".config/chromium",
	".config/BraveSoftware",
	".config/microsoft-edge",
	".config/op",
	".config/rclone",
	".s3cfg",
	".boto",
	".databrickscfg",
	".kaggle",
	".cache/huggingface/token",
	".huggingface/token",
	".config/containers/auth.json",
	".local/share/containers/auth.json",
	".pgpass",
	".my.cnf",
	".config/sbx/upstream-proxy",
	NULL,
};

/*
 * Files the host runs later, inside every writable directory (the working
 * directory and each --bind): bound read-only onto themselves where they
 * exist. A git repository's hooks and config (core.hooksPath,
 * core.fsmonitor, filters and aliases run code at the next git command),
 * and editor and shell tooling that runs code when a person opens the
 * directory.
 */
const char *const sbx_doors_persist[] = {
	".git/hooks",	   ".git/config",    ".git/info",  ".gitmodules",
	".envrc",	   ".env.local",     ".vscode",	   ".idea",
	".devcontainer",   ".tool-versions", ".mise.toml", ".nvmrc",
	".python-version", ".hgrc",	     ".hg/hgrc",   NULL,
};

/*
 * When the working directory is $HOME (or contains it), the shell and
 * session start-up files of $HOME are persistence paths too.
 */
const char *const sbx_doors_home_startup[] = {
	".bashrc",
	".bash_profile",
	".bash_login",
	".bash_logout",
	".profile",
	".zshrc",
	".zshenv",
	".zprofile",
	".zlogin",
	".zlogout",
	".config/fish",
	".xprofile",
	".xinitrc",
	".xsession",
	".xsessionrc",
	".pam_environment",
	".config/autostart",
	".config/systemd/user",
	".config/environment.d",
	".gitconfig",
	".config/git/config",
	".ssh/rc",
	".inputrc",
	".vimrc",
	".config/nvim",
	".emacs",
	".emacs.d",
	".config/Code/User",
	NULL,
};
