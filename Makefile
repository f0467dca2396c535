# `sam build` (BuildMethod: makefile) calls build-<LogicalId> once per function with ARTIFACTS_DIR set, and passes
# nothing else: not the template's Architecture. Every function ships the same bootstrap (the handler setting picks
# what it does), so it is built once per architecture and copied to each.
#
# ARCH: from the environment (`ARCH=arm64 sam build --parameter-overrides Architecture=arm64`), else the build
# machine's own architecture, which inside `sam build --use-container` is the function's.
ARCH ?= $(if $(filter aarch64 arm64,$(shell uname -m)),arm64,x86_64)
ifeq ($(filter $(ARCH),x86_64 arm64),)
$(error ARCH must be x86_64 or arm64, not "$(ARCH)")
endif

# The bootstrap is rebuilt only when something it is built from changed (make compares times across the calls).
SOURCES := $(shell find functions \( -name '*.cs' -o -name '*.csproj' \) -not -path '*/bin/*' -not -path '*/obj/*') \
	Directory.Build.props Directory.Packages.props infra/package

out/lambda-$(ARCH)/bootstrap: $(SOURCES)
	infra/package --arch $(ARCH) --out out >/dev/null
	@touch $@

build-AclFunction build-PolicyFunction build-PublicAccessBlockFunction build-TaggingFunction build-SweepPlanFunction build-SweepBatchFunction build-SweepSummaryFunction build-ObjectsFunction build-ExposureFunction: out/lambda-$(ARCH)/bootstrap
	cp -a out/lambda-$(ARCH)/. $(ARTIFACTS_DIR)/

.PHONY: build-AclFunction build-PolicyFunction build-PublicAccessBlockFunction build-TaggingFunction build-SweepPlanFunction build-SweepBatchFunction build-SweepSummaryFunction build-ObjectsFunction build-ExposureFunction
