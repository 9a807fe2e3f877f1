<?php

namespace GlobalLocksStandin;

use MediaWiki\Api\ApiQuery;
use MediaWiki\Api\ApiQueryBase;
use MediaWiki\Config\Config;
use MediaWiki\User\Registration\UserRegistrationLookup;
use MediaWiki\User\UserIdentityLookup;
use MediaWiki\WikiMap\WikiMap;
use Wikimedia\ParamValidator\ParamValidator;

/**
 * meta=globaluserinfo&guiuser=NAME as CentralAuth answers it, for a wiki without global
 * accounts: the local account stands for the global one. {home, id, registration, name,
 * locked: true when locked} or {missing: true}, under "query".
 */
class ApiQueryGlobalUserInfo extends ApiQueryBase {

	public function __construct(
		ApiQuery $query,
		string $moduleName,
		private Config $config,
		private UserIdentityLookup $userIdentityLookup,
		private UserRegistrationLookup $userRegistrationLookup
	) {
		parent::__construct( $query, $moduleName, 'gui' );
	}

	/** @inheritDoc */
	public function execute() {
		$params = $this->extractRequestParams();
		$name = $params['user'] ?? $this->getUser()->getName();
		$user = $this->userIdentityLookup->getUserIdentityByName( $name );
		if ( !$user || !$user->isRegistered() ) {
			$data = [ 'missing' => true ];
		} else {
			$registration = $this->userRegistrationLookup->getRegistration( $user );
			$data = [
				'home' => WikiMap::getCurrentWikiId(),
				'id' => $user->getId(),
				'registration' => wfTimestamp( TS_ISO_8601, $registration ?: 0 ),
				'name' => $user->getName(),
			];
			if ( in_array( $user->getName(), Hooks::lockedNames( $this->config ), true ) ) {
				$data['locked'] = true;
			}
		}
		$this->getResult()->addValue( 'query', $this->getModuleName(), $data );
	}

	/** @inheritDoc */
	protected function getAllowedParams() {
		return [
			'user' => [
				ParamValidator::PARAM_TYPE => 'string',
			],
		];
	}
}
