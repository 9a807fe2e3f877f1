<?php

namespace GrowthStandin;

use MediaWiki\Api\ApiQuery;
use MediaWiki\Api\ApiQueryBase;
use MediaWiki\User\UserIdentityLookup;
use Wikimedia\Timestamp\ConvertibleTimestamp;

/**
 * list=growthmentorlist: every listed mentor whose account exists, keyed by user id, as
 * {message, weight, awayTimestamp (only when set in the list), username}. No parameters, no
 * continuation. The result sits at the top level of the response, not under "query".
 *
 * As in GE master, which users are mentors comes from a cache kept for a day and cleared only by
 * GE's own writer (growthmanagementorlist); each entry is read fresh from the page.
 */
class ApiQueryMentorList extends ApiQueryBase {

	public function __construct(
		ApiQuery $queryModule,
		string $moduleName,
		private UserIdentityLookup $userIdentityLookup
	) {
		parent::__construct( $queryModule, $moduleName );
	}

	/** @inheritDoc */
	public function execute() {
		$result = [];
		$entries = MentorList::loadEntries();
		foreach ( MentorList::getCachedMentorIds() as $id ) {
			$user = $this->userIdentityLookup->getUserIdentityByUserId( $id );
			if ( !$user ) {
				continue;
			}
			// An id the cache still holds but the page dropped is served with the defaults, as GE does.
			$entry = $entries[$id] ?? [];
			$item = [
				'message' => MentorList::getMessage( $entry ),
				'weight' => MentorList::getWeight( $entry ),
			];
			if ( !empty( $entry['awayTimestamp'] ) ) {
				$item['awayTimestamp'] = ConvertibleTimestamp::convert( TS_ISO_8601, $entry['awayTimestamp'] );
			}
			$item['username'] = $user->getName();
			$result[$id] = $item;
		}
		$this->getResult()->addValue( null, $this->getModuleName(), $result );
	}

	/** @inheritDoc */
	protected function getAllowedParams() {
		return [];
	}
}
