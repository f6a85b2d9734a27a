"""The CloudFront distribution in front of the portal bucket (:class:`tessera.kb.site.CdnCache`)."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence

from tessera.adapters.clients import client


class CloudFrontCache:
    def __init__(self, distribution_id: str) -> None:
        self.distribution_id = distribution_id

    def invalidate(self, paths: Sequence[str]) -> None:
        if not paths:
            return
        # The caller reference makes a retried call the same invalidation, not a second one.
        reference = hashlib.sha256(
            f"{time.time_ns() // 10**9}:{','.join(paths)}".encode()
        ).hexdigest()[:40]
        client("cloudfront").create_invalidation(
            DistributionId=self.distribution_id,
            InvalidationBatch={
                "Paths": {"Quantity": len(paths), "Items": list(paths)},
                "CallerReference": reference,
            },
        )
