"""Which plugin each name a rendered Jenkinsfile uses comes from, read in the pinned sources.

:func:`jenkinsfile_names` lists the names a Jenkinsfile calls or opens a block with (string
literals and comments removed first, so nothing inside a shell script counts). Each is a step
or a Declarative symbol in :data:`STEPS` (its plugin and the source file, at the pinned
version, that defines the name: a step descriptor's ``getFunctionName`` or an ``@Symbol``;
``test_step_sources`` checks each against the clones when ``JENKINSGEN_FACTS_MIRRORS`` is
set), a keyword of Declarative's grammar (:data:`DECLARATIVE`, pipeline-model-definition),
a parameter of docker-workflow's ``agent { docker { ... } }`` (:data:`DOCKER_AGENT`), or
Groovy (:data:`GROOVY`). A name in none of them fails the tests that use this module.
"""

from __future__ import annotations

import re

__all__ = ["DECLARATIVE", "DOCKER_AGENT", "GROOVY", "STEPS", "jenkinsfile_names", "plugin_of_name"]

#: name -> (plugin, source file at the pinned version, what defines the name there)
STEPS: dict[str, tuple[str, str, str]] = {
    "sh": ("workflow-durable-task-step",
           "src/main/java/org/jenkinsci/plugins/workflow/steps/durable_task/ShellStep.java",
           r'return "sh";'),
    "timeout": ("workflow-basic-steps",
                "src/main/java/org/jenkinsci/plugins/workflow/steps/TimeoutStep.java",
                r'return "timeout";'),
    "echo": ("workflow-basic-steps",
             "src/main/java/org/jenkinsci/plugins/workflow/steps/EchoStep.java", r'return "echo";'),
    "error": ("workflow-basic-steps",
              "src/main/java/org/jenkinsci/plugins/workflow/steps/ErrorStep.java",
              r'return "error";'),
    "readFile": ("workflow-basic-steps",
                 "src/main/java/org/jenkinsci/plugins/workflow/steps/ReadFileStep.java",
                 r'return "readFile";'),
    "input": ("pipeline-input-step",
              "src/main/java/org/jenkinsci/plugins/workflow/support/steps/input/InputStep.java",
              r'return "input";'),
    "withCredentials": ("credentials-binding",
                        "src/main/java/org/jenkinsci/plugins/credentialsbinding/impl/BindingStep.java",
                        r'return "withCredentials";'),
    "usernamePassword": ("credentials-binding",
                         "src/main/java/org/jenkinsci/plugins/credentialsbinding/impl/"
                         "UsernamePasswordMultiBinding.java", r'@Symbol\("usernamePassword"\)'),
    "string": ("credentials-binding",
               "src/main/java/org/jenkinsci/plugins/credentialsbinding/impl/StringBinding.java",
               r'@Symbol\("string"\)'),
    "git": ("git", "src/main/java/jenkins/plugins/git/GitStep.java", r'return "git";'),
    "junit": ("junit", "src/main/java/hudson/tasks/junit/pipeline/JUnitResultsStep.java",
              r'return "junit";'),
    "timestamps": ("timestamper",
                   "src/main/java/hudson/plugins/timestamper/pipeline/TimestamperStep.java",
                   r'return "timestamps";'),
    "build": ("pipeline-build-step",
              "src/main/java/org/jenkinsci/plugins/workflow/support/steps/build/"
              "BuildTriggerStep.java", r'return "build";'),
    "script": ("pipeline-model-definition",
               "pipeline-model-definition/src/main/java/org/jenkinsci/plugins/pipeline/"
               "modeldefinition/steps/ScriptStep.java", r'return "script";'),
    "skipDefaultCheckout": ("pipeline-model-definition",
                            "pipeline-model-definition/src/main/java/org/jenkinsci/plugins/"
                            "pipeline/modeldefinition/options/impl/SkipDefaultCheckout.java",
                            r'@Symbol\("skipDefaultCheckout"\)'),
    "disableConcurrentBuilds": ("workflow-job",
                                "src/main/java/org/jenkinsci/plugins/workflow/job/properties/"
                                "DisableConcurrentBuildsJobProperty.java",
                                r'@Symbol\("disableConcurrentBuilds"\)'),
    "buildDiscarder": ("core", "core/src/main/java/jenkins/model/BuildDiscarderProperty.java",
                       r'@Symbol\("buildDiscarder"\)'),
    "logRotator": ("core", "core/src/main/java/hudson/tasks/LogRotator.java",
                   r'@Symbol\("logRotator"\)'),
    "choice": ("core", "core/src/main/java/hudson/model/ChoiceParameterDefinition.java",
               r'@Symbol\(\{"choice"'),
    "checkout": ("workflow-scm-step",
                 "src/main/java/org/jenkinsci/plugins/workflow/steps/scm/GenericSCMStep.java",
                 r'return "checkout";'),
    "branch": ("pipeline-model-definition",
               "pipeline-model-definition/src/main/java/org/jenkinsci/plugins/pipeline/"
               "modeldefinition/when/impl/BranchConditional.java", r'@Symbol\("branch"\)'),
    "docker": ("docker-workflow",
               "src/main/java/org/jenkinsci/plugins/docker/workflow/declarative/DockerPipeline.java",
               r'@Symbol\("docker"\)'),
}  # fmt: skip

#: Declarative's own grammar (pipeline-model-definition's parser and model).
DECLARATIVE = frozenset(
    {"pipeline", "agent", "stages", "stage", "steps", "options", "environment", "post",
     "always", "when", "expression", "beforeAgent", "label"}
)  # fmt: skip
#: Parameters of ``agent { docker { ... } }`` (docker-workflow's DockerPipeline and
#: AbstractDockerAgent: the constructor's ``image``, the setters of the others).
DOCKER_AGENT = frozenset({"image", "args", "registryUrl", "registryCredentialsId", "reuseNode"})
GROOVY = frozenset({"if", "else", "try", "catch", "finally", "def", "return", "for", "while"})

_TRIPLE = re.compile(r"'''.*?(?<!\\)'''|\"\"\".*?(?<!\\)\"\"\"", re.S)
_SINGLE = re.compile(r"'(?:\\.|[^'\\\n])*'|\"(?:\\.|[^\"\\\n])*\"")
_COMMENT = re.compile(r"//[^\n]*")
_CALL = re.compile(r"(?<![.\w])([A-Za-z_]\w*)\s*[({]")
_COMMAND = re.compile(r"^\s*([A-Za-z_]\w*)\s+(?![=\s])\S", re.M)


def jenkinsfile_names(text: str) -> set[str]:
    """Names called, opened as a block or used in command syntax (``label 'x'``)."""
    code = _COMMENT.sub("", _SINGLE.sub("''", _TRIPLE.sub("''", text)))
    return set(_CALL.findall(code)) | set(_COMMAND.findall(code))


def plugin_of_name(name: str) -> str | None:
    """The plugin a Jenkinsfile name needs ("core" for core, None for Groovy itself);
    KeyError for a name this module does not know."""
    if name in STEPS:
        return STEPS[name][0]
    if name in DECLARATIVE:
        return "pipeline-model-definition"
    if name in DOCKER_AGENT:
        return "docker-workflow"
    if name in GROOVY:
        return None
    raise KeyError(name)
