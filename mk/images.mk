# Images: plugin bundle, controller, agent and seed images, push. Included by the Makefile.
# Every target calls the jenkinsgen CLI; override the variables on the command line, e.g.
#   make image CONTROLLER_TAG=acme/jenkins:1 CONTROLLER_BASE=jenkins/jenkins:2.555.2-lts-jdk21
#   make push REGISTRY=registry.example.com/acme   (credentials: JENKINSGEN_REGISTRY_USERNAME /
#                                                    JENKINSGEN_REGISTRY_PASSWORD or docker login)
# The default update center is the public one (network needed). Offline, point it at a file
# (tests/data holds one of 2020, older than the pins: give it a list of names, docs/images.md):
#   make bundle PLUGINS_TXT=names.txt UPDATE_CENTER=tests/data/update-center/update-center.actual.zip \
#     PLUGIN_VERSIONS=tests/data/update-center/plugin-versions.zip JENKINS_VERSION=2.249.3
JENKINS_VERSION ?= 2.555.2
UPDATE_CENTER   ?= https://updates.jenkins.io/update-center.json?version=$(JENKINS_VERSION)
# Every published release: plugins.txt pins versions that are not always the newest.
PLUGIN_VERSIONS ?= https://updates.jenkins.io/current/plugin-versions.json
PLUGINS_TXT     ?= images/controller/plugins.txt
PLUGINS_LOCK    ?= plugins.lock
CONTROLLER_TAG  ?= jenkinsgen/controller:latest
AGENT_TAG       ?= jenkinsgen/agent:latest
# The seed image's tag is always the jenkinsgen version; SEED_TAG may name another repository.
SEED_TAG        ?=
REGISTRY        ?=
# Base images (empty: the Dockerfiles' pinned jenkins/jenkins, jenkins/inbound-agent and
# debian:bookworm-slim).
CONTROLLER_BASE ?=
AGENT_BASE      ?=
SEED_BASE       ?=
# Where `make seed-image` builds the wheel of this checkout that goes into the seed image.
WHEEL_DIR       ?= dist
# Extra `jenkinsgen image build` options for every image, e.g. --no-cache.
IMAGE_ARGS      ?=
CONTROLLER_ARGS  = $(if $(CONTROLLER_BASE),--base $(CONTROLLER_BASE)) $(IMAGE_ARGS)
AGENT_ARGS       = $(if $(AGENT_BASE),--base $(AGENT_BASE)) $(IMAGE_ARGS)
SEED_ARGS        = $(if $(SEED_BASE),--base $(SEED_BASE)) $(if $(SEED_TAG),--tag $(SEED_TAG)) $(IMAGE_ARGS)
# What `render` wrote to $(OUT) (jobs, seed job included, and casc/) is baked in when it exists.
JOBS_ARG = $(if $(wildcard $(OUT)/jobs),--jobs $(OUT))
# The spec's approvers get read access to the jobs in the controller's authorization matrix.
SPEC_ARG = $(if $(wildcard $(SPEC)),--spec $(SPEC))

.PHONY: bundle
bundle: install  ## resolve images/controller/plugins.txt into plugins.lock (update center of JENKINS_VERSION)
	$(BIN)/jenkinsgen bundle resolve $(PLUGINS_TXT) --update-center '$(UPDATE_CENTER)' \
		$(if $(PLUGIN_VERSIONS),--plugin-versions '$(PLUGIN_VERSIONS)') \
		--jenkins-version $(JENKINS_VERSION) -o $(PLUGINS_LOCK)

# Resolved again when the plugin list changed since the lock was written.
$(PLUGINS_LOCK): $(PLUGINS_TXT)
	$(MAKE) bundle

.PHONY: image
image: install $(PLUGINS_LOCK)  ## build the controller image (plugins.lock baked in, rendered jobs if $(OUT)/jobs exists)
	$(BIN)/jenkinsgen image build controller --bundle $(PLUGINS_LOCK) $(JOBS_ARG) $(SPEC_ARG) \
		--tag $(CONTROLLER_TAG) $(CONTROLLER_ARGS)

.PHONY: agent-image
agent-image: install  ## build the Docker-socket agent image
	$(BIN)/jenkinsgen image build agent --tag $(AGENT_TAG) $(AGENT_ARGS)

# A wheel of this very checkout (pip builds it with hatchling from the package index).
.PHONY: seed-wheel
seed-wheel: install
	rm -f $(WHEEL_DIR)/jenkinsgen-*.whl
	$(BIN)/pip wheel -q --no-deps --wheel-dir $(WHEEL_DIR) .

.PHONY: seed-image
seed-image: seed-wheel  ## build the seed image: this checkout's wheel, tagged with its version
	$(BIN)/jenkinsgen image build seed --wheel "$$(ls $(WHEEL_DIR)/jenkinsgen-*.whl)" $(SEED_ARGS)

.PHONY: push
push: require-registry install $(PLUGINS_LOCK) seed-wheel  ## build and push the controller, agent and seed images to REGISTRY
	$(BIN)/jenkinsgen image build controller --bundle $(PLUGINS_LOCK) $(JOBS_ARG) $(SPEC_ARG) \
		--tag $(CONTROLLER_TAG) --push $(REGISTRY) $(CONTROLLER_ARGS)
	$(BIN)/jenkinsgen image build agent --tag $(AGENT_TAG) --push $(REGISTRY) $(AGENT_ARGS)
	$(BIN)/jenkinsgen image build seed --wheel "$$(ls $(WHEEL_DIR)/jenkinsgen-*.whl)" \
		--push $(REGISTRY) $(SEED_ARGS)

.PHONY: require-registry
require-registry:
	@test -n "$(REGISTRY)" || { echo "make push: set REGISTRY=host[:port]/path"; exit 2; }
