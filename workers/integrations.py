"""The outbox consumers besides the Pusher relay: the webhook worker and the guest
notifier, started together (in the API process, or by `turnover relay`)."""

from dataclasses import dataclass, field
from typing import Any

from config.settings import Settings
from storage.unit_of_work import add_commit_listener
from workers.guest_notifier import GuestNotifier, notifier_from_settings
from workers.webhooks.worker import WebhookConfig, WebhookWorker


@dataclass
class IntegrationWorkers:
    webhooks: WebhookWorker | None = None
    notifier: GuestNotifier | None = None
    _unregister: list[Any] = field(default_factory=list)

    @classmethod
    def from_settings(cls, settings: Settings, *, in_process: bool) -> "IntegrationWorkers":
        """What runs here: in the API process, what the *_IN_PROCESS settings allow;
        in `turnover relay`, everything configured."""
        webhooks = notifier = None
        if settings.webhooks_in_process or not in_process:
            webhooks = WebhookWorker(WebhookConfig.from_settings(settings))
        if settings.notifier_in_process or not in_process:
            notifier = notifier_from_settings(settings)
        return cls(webhooks, notifier)

    def start(self) -> None:
        """Start the workers in their threads, woken by every commit of this process."""
        for worker in (self.webhooks, self.notifier):
            if worker is not None:
                self._unregister.append(add_commit_listener(worker.wake))
                worker.start()

    def stop(self) -> None:
        for remove in self._unregister:
            remove()
        self._unregister.clear()
        for worker in (self.webhooks, self.notifier):
            if worker is not None:
                worker.stop()
