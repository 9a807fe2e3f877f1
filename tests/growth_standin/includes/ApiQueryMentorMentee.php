<?php

namespace GrowthStandin;

use MediaWiki\Api\ApiQuery;
use MediaWiki\Api\ApiQueryBase;
use MediaWiki\ParamValidator\TypeDef\UserDef;
use MediaWiki\User\UserIdentity;
use MediaWiki\User\UserIdentityLookup;
use Wikimedia\ParamValidator\ParamValidator;

/**
 * list=growthmentormentee&gemmmentor=NAME:
 * {"growthmentormentee": {"mentor": NAME, "mentees": [{"name", "id"}]}} at the top level.
 * Primary mentees only, inactive ones included, no paging; hidden and temporary users left out.
 */
class ApiQueryMentorMentee extends ApiQueryBase {

	public function __construct(
		ApiQuery $queryModule,
		string $moduleName,
		private UserIdentityLookup $userIdentityLookup
	) {
		parent::__construct( $queryModule, $moduleName );
	}

	/** @inheritDoc */
	public function execute() {
		$params = $this->extractRequestParams();
		/** @var UserIdentity $mentor */
		$mentor = $params['gemmmentor'];

		$mentees = [];
		$ids = $mentor->getId() ? MentorStore::getMenteeIds( $mentor, MentorStore::ROLE_PRIMARY ) : [];
		if ( $ids ) {
			$users = $this->userIdentityLookup->newSelectQueryBuilder()
				->whereUserIds( $ids )
				->registered()
				->named()
				->hidden( false )
				->orderByUserId()
				->caller( __METHOD__ )
				->fetchUserIdentities();
			foreach ( $users as $user ) {
				$mentees[] = [ 'name' => $user->getName(), 'id' => $user->getId() ];
			}
		}

		$this->getResult()->addValue( null, $this->getModuleName(), [
			'mentor' => $mentor->getName(),
			'mentees' => $mentees,
		] );
	}

	/** @inheritDoc */
	protected function getAllowedParams() {
		return [
			'gemmmentor' => [
				ParamValidator::PARAM_TYPE => 'user',
				ParamValidator::PARAM_REQUIRED => true,
				UserDef::PARAM_ALLOWED_USER_TYPES => [ 'name', 'id' ],
				UserDef::PARAM_RETURN_OBJECT => true,
			],
		];
	}
}
